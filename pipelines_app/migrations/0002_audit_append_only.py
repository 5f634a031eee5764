"""On PostgreSQL, a trigger refuses UPDATE and DELETE of audit events even outside Django."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION pipelines_app_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER pipelines_app_auditevent_append_only
    BEFORE UPDATE OR DELETE ON pipelines_app_auditevent
    FOR EACH ROW EXECUTE FUNCTION pipelines_app_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS pipelines_app_auditevent_append_only ON pipelines_app_auditevent;
DROP FUNCTION IF EXISTS pipelines_app_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("pipelines_app", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
