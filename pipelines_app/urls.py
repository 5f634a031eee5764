from django.urls import path

from pipelines_app.views import (
    application,
    audit,
    catalog,
    changes,
    columns,
    definition,
    docs,
    jobs,
    previews,
    reviews,
    storage,
    wizard,
    xml_editor,
)

app_name = "pipelines"

one = "pipelines/<str:application>/<str:layer>/<str:kind>/<str:def_id>/"

urlpatterns = [
    path("pipelines/", catalog.catalog, name="catalog"),
    path("pipelines/new/", wizard.wizard_start, name="wizard"),
    path("pipelines/new/job/", jobs.job_start, name="job_new"),
    path("pipelines/job/<str:key>/", jobs.job_form, name="job"),
    path("pipelines/job/<str:key>/review/", jobs.job_review, name="job_review"),
    path("pipelines/cron-preview/", wizard.cron_preview, name="cron_preview"),
    path("pipelines/preview/<str:key>/", previews.step_preview_start, name="step_preview"),
    path("pipelines/previews/<uuid:preview_id>/", previews.step_preview_show, name="preview"),
    path("changes/<int:number>/dry-runs/", previews.change_dry_runs, name="change_dry_runs"),
    path("pipelines/draft/<str:key>/xml/", xml_editor.wizard_xml, name="wizard_xml"),
    path("pipelines/draft/<str:key>/data/columns/", columns.column_picker, name="column_picker"),
    path("pipelines/draft/<str:key>/data/browse/", storage.storage_browse, name="storage_browse"),
    path("pipelines/draft/<str:key>/data/pick/", storage.storage_pick, name="storage_pick"),
    path("pipelines/draft/<str:key>/data/match/", storage.storage_match, name="storage_match"),
    path("pipelines/draft/<str:key>/data/sample/", storage.storage_sample, name="storage_sample"),
    path("pipelines/draft/<str:key>/data/schema/", storage.storage_schema, name="storage_schema"),
    path("pipelines/draft/<str:key>/<str:step>/", wizard.wizard_step, name="wizard_step"),
    path(one, definition.definition_detail, name="definition"),
    path(one + "edit/", definition.definition_edit, name="definition_edit"),
    path(one + "restore/", definition.definition_restore, name="definition_restore"),
    path(one + "delete/", definition.definition_delete, name="definition_delete"),
    path("changes/", changes.change_list, name="change_list"),
    path("changes/<int:number>/", changes.change_detail, name="change_detail"),
    path("changes/<int:number>/comment/", changes.change_comment, name="change_comment"),
    path("changes/<int:number>/update/", changes.change_update, name="change_update"),
    path(
        "changes/<int:number>/review/<str:decision>/",
        reviews.change_review,
        name="change_review",
    ),
    path(
        "changes/<int:number>/author/<str:action>/",
        changes.change_author_action,
        name="change_author",
    ),
    path("reviews/", reviews.review_queue, name="review_queue"),
    path("audit/", audit.audit_log, name="audit"),
    path("help/<path:name>", docs.doc_page, name="doc"),
    path("applications/<str:application>/", application.application_detail, name="application"),
]
