"""The read log is append-only in the database, so that no code path (nor a slip in the ORM, nor a
person with the application's credentials in psql) can rewrite who saw what.

- UPDATE: always refused.
- DELETE: refused, unless the transaction has set `rcvs.retention_cutoff` (SET LOCAL, by the
  retention service) and the row is older than that cutoff.
- TRUNCATE: refused, unless the session has set `rcvs.allow_truncate = 'on'` — only the test
  settings do that, because Django's transactional tests empty every table with TRUNCATE.
"""

from django.db import migrations

INSTALL = r"""
CREATE FUNCTION casework_caseaccess_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cutoff text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'casework_caseaccess is append-only: UPDATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        IF coalesce(current_setting('rcvs.allow_truncate', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'casework_caseaccess is append-only: TRUNCATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- DELETE: only rows older than the retention cutoff set for this transaction.
    cutoff := current_setting('rcvs.retention_cutoff', true);
    IF cutoff IS NULL OR cutoff = '' THEN
        RAISE EXCEPTION 'casework_caseaccess is append-only: DELETE refused outside the retention rule'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.at >= cutoff::timestamptz THEN
        RAISE EXCEPTION 'casework_caseaccess: row is younger than the retention cutoff, DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER casework_caseaccess_no_update BEFORE UPDATE ON casework_caseaccess
    FOR EACH ROW EXECUTE FUNCTION casework_caseaccess_guard();
CREATE TRIGGER casework_caseaccess_delete_retention_only BEFORE DELETE ON casework_caseaccess
    FOR EACH ROW EXECUTE FUNCTION casework_caseaccess_guard();
CREATE TRIGGER casework_caseaccess_no_truncate BEFORE TRUNCATE ON casework_caseaccess
    FOR EACH STATEMENT EXECUTE FUNCTION casework_caseaccess_guard();
"""

REMOVE = r"""
DROP TRIGGER IF EXISTS casework_caseaccess_no_truncate ON casework_caseaccess;
DROP TRIGGER IF EXISTS casework_caseaccess_delete_retention_only ON casework_caseaccess;
DROP TRIGGER IF EXISTS casework_caseaccess_no_update ON casework_caseaccess;
DROP FUNCTION IF EXISTS casework_caseaccess_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [migrations.RunSQL(INSTALL, REMOVE)]
