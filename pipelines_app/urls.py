from django.urls import path

from pipelines_app import views

app_name = "pipelines"

definition = "pipelines/<str:application>/<str:layer>/<str:kind>/<str:def_id>/"

urlpatterns = [
    path("pipelines/", views.catalog, name="catalog"),
    path("pipelines/new/", views.wizard_start, name="wizard"),
    path("pipelines/cron-preview/", views.cron_preview, name="cron_preview"),
    path("pipelines/draft/<str:key>/xml/", views.wizard_xml, name="wizard_xml"),
    path("pipelines/draft/<str:key>/<str:step>/", views.wizard_step, name="wizard_step"),
    path(definition, views.definition_detail, name="definition"),
    path(definition + "edit/", views.definition_edit, name="definition_edit"),
    path(definition + "restore/", views.definition_restore, name="definition_restore"),
    path(definition + "delete/", views.definition_delete, name="definition_delete"),
    path("changes/", views.change_list, name="change_list"),
    path("changes/<int:number>/", views.change_detail, name="change_detail"),
    path("changes/<int:number>/comment/", views.change_comment, name="change_comment"),
    path("changes/<int:number>/update/", views.change_update, name="change_update"),
    path("changes/<int:number>/review/<str:decision>/", views.change_review, name="change_review"),
    path(
        "changes/<int:number>/author/<str:action>/",
        views.change_author_action,
        name="change_author",
    ),
    path("reviews/", views.review_queue, name="review_queue"),
    path("audit/", views.audit_log, name="audit"),
]
