from django.urls import path

from portal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/tokens/", views.token_list, name="tokens"),
    path("account/tokens/new/", views.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
