from django.apps import AppConfig


class WebkitConfig(AppConfig):
    name = "webkit"
    verbose_name = "Web kit"
