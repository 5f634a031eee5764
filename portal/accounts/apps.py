from django.apps import AppConfig


class AccountsAppConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Sign-in and API tokens"
