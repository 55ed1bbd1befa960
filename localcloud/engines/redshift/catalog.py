"""The Redshift catalog the warehouse adds to PostgreSQL, installed once into ``template1``.

* ``lc_redshift.table_attrs``: what ``CREATE TABLE`` said about distribution, sort keys,
  encodings and (informational, as Redshift keeps them) key constraints; rows follow their
  table through renames (keyed by OID, columns by attnum) and vanish with it (an event trigger).
* Log tables written by the runtime on its own autocommit connection (so a user's rollback
  does not erase them, as Redshift's system logs): load errors, scan steps, Spectrum scans.
* Views in ``pg_catalog`` with Redshift's names and the columns the runtime can fill honestly:
  ``stl_load_errors``, ``sys_load_error_detail``, ``sys_query_detail``,
  ``sys_external_query_detail``, ``svl_s3query_summary``, ``svv_external_schemas``,
  ``svv_table_info``, ``stv_tbl_perm``, ``stv_slices``, ``pg_table_def``.
  Views over data the runtime computes (``svv_table_info``, ``stv_tbl_perm``) are refreshed
  just before a statement that reads them (see ``sysviews.py``).
"""

from __future__ import annotations

BOOTSTRAP_SQL = r"""
SET allow_system_table_mods = on;
-- Redshift: "By default, all users have CREATE and USAGE permissions on the PUBLIC schema of a
-- database" (Database Developer Guide, "Default database user permissions"); PostgreSQL 15 grants
-- USAGE only.  Databases made from template1 (every warehouse's) inherit this.
GRANT CREATE ON SCHEMA public TO PUBLIC;
CREATE SCHEMA lc_redshift;
REVOKE ALL ON SCHEMA lc_redshift FROM PUBLIC;
GRANT USAGE ON SCHEMA lc_redshift TO PUBLIC;

CREATE TABLE lc_redshift.table_attrs (
    relid oid PRIMARY KEY,
    diststyle text NOT NULL,            -- EVEN | KEY | ALL | AUTO
    distkey smallint,                   -- attnum
    sortstyle text NOT NULL,            -- COMPOUND | INTERLEAVED | AUTO
    sortkeys smallint[] NOT NULL DEFAULT '{}',
    encodings jsonb NOT NULL DEFAULT '{}',
    constraints jsonb NOT NULL DEFAULT '[]',
    created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE FUNCTION lc_redshift.set_table_attrs(rel regclass, diststyle text, distkey text, sortstyle text,
                                            sortkeys text[], encodings jsonb, constraints jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    dk smallint;
    sk smallint[] := '{}';
    c text;
BEGIN
    IF NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = rel), 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of relation %', rel USING ERRCODE = '42501';
    END IF;
    IF distkey IS NOT NULL THEN
        SELECT attnum INTO dk FROM pg_attribute WHERE attrelid = rel AND attname = distkey AND NOT attisdropped;
    END IF;
    FOREACH c IN ARRAY coalesce(sortkeys, '{}') LOOP
        sk := sk || (SELECT attnum FROM pg_attribute WHERE attrelid = rel AND attname = c AND NOT attisdropped);
    END LOOP;
    INSERT INTO lc_redshift.table_attrs (relid, diststyle, distkey, sortstyle, sortkeys, encodings, constraints)
    VALUES (rel, diststyle, dk, sortstyle, sk, coalesce(encodings, '{}'), coalesce(constraints, '[]'))
    ON CONFLICT (relid) DO UPDATE SET diststyle = EXCLUDED.diststyle, distkey = EXCLUDED.distkey,
        sortstyle = EXCLUDED.sortstyle, sortkeys = EXCLUDED.sortkeys,
        encodings = lc_redshift.table_attrs.encodings || EXCLUDED.encodings,
        constraints = CASE WHEN EXCLUDED.constraints = '[]' THEN lc_redshift.table_attrs.constraints
                           ELSE EXCLUDED.constraints END;
END $$;
GRANT SELECT ON lc_redshift.table_attrs TO PUBLIC;
GRANT EXECUTE ON FUNCTION lc_redshift.set_table_attrs(regclass, text, text, text, text[], jsonb, jsonb) TO PUBLIC;

CREATE FUNCTION lc_redshift.forget_dropped() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM lc_redshift.table_attrs WHERE relid IN
        (SELECT objid FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table');
END $$;
CREATE EVENT TRIGGER lc_redshift_forget_dropped ON sql_drop EXECUTE FUNCTION lc_redshift.forget_dropped();

CREATE TABLE lc_redshift.external_schemas (
    esoid oid PRIMARY KEY,              -- the pg_namespace row that reserves the name
    eskind smallint NOT NULL,           -- 1 data catalog, 3 mysql (as SVV_EXTERNAL_SCHEMAS numbers them)
    databasename text NOT NULL,
    esoptions text NOT NULL
);
CREATE FUNCTION lc_redshift.register_external_schema(nsp text, kind smallint, dbname text, options text)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
    INSERT INTO lc_redshift.external_schemas SELECT oid, kind, dbname, options FROM pg_namespace WHERE nspname = nsp;
$$;
GRANT EXECUTE ON FUNCTION lc_redshift.register_external_schema(text, smallint, text, text) TO PUBLIC;
CREATE FUNCTION lc_redshift.forget_schemas() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM lc_redshift.external_schemas WHERE esoid IN
        (SELECT objid FROM pg_event_trigger_dropped_objects() WHERE object_type = 'schema');
END $$;
CREATE EVENT TRIGGER lc_redshift_forget_schemas ON sql_drop EXECUTE FUNCTION lc_redshift.forget_schemas();

CREATE VIEW pg_catalog.svv_external_schemas AS
SELECT e.esoid, e.eskind, n.nspname::text AS schemaname, n.nspowner AS esowner,
       e.databasename, e.esoptions
FROM lc_redshift.external_schemas e JOIN pg_namespace n ON n.oid = e.esoid;

CREATE TABLE lc_redshift.load_errors (
    userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
    filename text, line_number bigint, colname text, type text, col_length text, position integer,
    raw_line text, raw_field_value text, err_code integer, err_reason text, database_name text,
    transaction_id bigint
);
CREATE VIEW pg_catalog.stl_load_errors AS
SELECT userid, slice, tbl, starttime, session, query, filename::char(256), line_number, colname::char(127),
       type::char(10), col_length::char(10), position, raw_line::char(1024), raw_field_value::char(1024),
       err_code, err_reason::char(100), 0::integer AS is_partial, 0::bigint AS start_offset
FROM lc_redshift.load_errors;
CREATE VIEW pg_catalog.sys_load_error_detail AS
SELECT userid AS user_id, query::bigint AS query_id, transaction_id, session::bigint AS session_id,
       database_name::char(128), tbl::bigint AS table_id, starttime AS start_time,
       filename::char(256) AS file_name, line_number, colname::char(127) AS column_name,
       type::char(10) AS column_type, col_length::char(10) AS column_length, position,
       err_code AS error_code, err_reason::char(512) AS error_message,
       raw_line::char(1024), raw_field_value::char(1024)
FROM lc_redshift.load_errors;

CREATE TABLE lc_redshift.query_detail (
    user_id integer, query_id bigint, child_query_sequence integer, stream_id integer, segment_id integer,
    step_id integer, step_name text, table_id integer, table_name text, is_rrscan char(1),
    start_time timestamp, end_time timestamp, duration bigint, input_rows bigint, output_rows bigint,
    blocks_read bigint
);
CREATE VIEW pg_catalog.sys_query_detail AS
SELECT user_id, query_id, child_query_sequence, stream_id, segment_id, step_id, step_name::char(32) AS step_name,
       table_id, table_name::char(136) AS table_name, is_rrscan, start_time, end_time, duration,
       input_rows, output_rows, blocks_read
FROM lc_redshift.query_detail;

CREATE TABLE lc_redshift.external_scans (
    user_id integer, query_id bigint, segment_id integer, start_time timestamp, end_time timestamp,
    duration bigint, source_type text, scanned_files bigint, returned_rows bigint, returned_bytes bigint,
    file_format text, file_location text, external_query_text text, total_partitions integer,
    qualified_partitions integer, scanned_bytes bigint, table_name text
);
CREATE VIEW pg_catalog.sys_external_query_detail AS
SELECT user_id, query_id, 1::integer AS child_query_sequence, segment_id, start_time, end_time, duration,
       source_type::char(32), scanned_files, returned_rows, returned_bytes, file_format::char(16),
       file_location, external_query_text, total_partitions, qualified_partitions, table_name::char(136)
FROM lc_redshift.external_scans;
CREATE VIEW pg_catalog.svl_s3query_summary AS
SELECT user_id AS userid, query_id::integer AS query, segment_id AS segment, start_time AS starttime,
       end_time AS endtime, duration AS elapsed, scanned_files AS files, returned_rows AS s3_scanned_rows,
       scanned_bytes AS s3_scanned_bytes, returned_rows AS s3query_returned_rows,
       returned_bytes AS s3query_returned_bytes, file_format::char(16), total_partitions,
       qualified_partitions
FROM lc_redshift.external_scans WHERE source_type = 'S3';

-- Refreshed by the runtime right before a statement that reads them (computed from the data).
CREATE TABLE lc_redshift.table_info (
    database text, schema text, table_id oid, "table" text, encoded text, diststyle text, sortkey1 text,
    max_varchar integer, sortkey1_enc char(32), sortkey_num integer, size bigint, pct_used numeric(10,4),
    empty bigint, unsorted numeric(5,2), stats_off numeric(5,2), tbl_rows numeric(38,0),
    skew_sortkey1 numeric(19,2), skew_rows numeric(19,2), estimated_visible_rows numeric(38,0),
    risk_event text, vacuum_sort_benefit numeric(12,2), create_time timestamp
);
CREATE VIEW pg_catalog.svv_table_info AS SELECT * FROM lc_redshift.table_info;
CREATE TABLE lc_redshift.tbl_perm (
    slice integer, id integer, name char(72), "rows" bigint, sorted_rows bigint, temp integer,
    db_id integer, backup integer, dist_style integer, block_count bigint
);
CREATE VIEW pg_catalog.stv_tbl_perm AS SELECT * FROM lc_redshift.tbl_perm;

CREATE VIEW pg_catalog.stv_slices AS
SELECT (s / current_setting('redshift.slices_per_node')::int)::integer AS node, s::integer AS slice,
       (s % current_setting('redshift.slices_per_node')::int)::integer AS localslice, 'D'::char(1) AS type
FROM generate_series(0, current_setting('redshift.slices')::int - 1) s;

CREATE VIEW pg_catalog.pg_table_def AS
SELECT n.nspname::name AS schemaname, c.relname::name AS tablename, a.attname::name AS "column",
       format_type(a.atttypid, a.atttypmod)::text AS type,
       coalesce(t.encodings ->> a.attname, 'none')::char(32) AS encoding,
       coalesce(t.distkey = a.attnum, false) AS distkey,
       coalesce(array_position(t.sortkeys, a.attnum), 0)::integer
         * CASE WHEN t.sortstyle = 'INTERLEAVED' THEN -1 ELSE 1 END AS sortkey,
       a.attnotnull AS notnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN lc_redshift.table_attrs t ON t.relid = c.oid
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'lc_redshift') AND pg_table_is_visible(c.oid);

-- Spectrum's catalog views, refreshed from the Glue catalog right before a statement reads them.
CREATE TABLE lc_redshift.ext_tables (
    redshift_database_name text, schemaname text, tablename text, location text, input_format text,
    output_format text, serialization_lib text, serde_parameters text, compressed integer, parameters text,
    tabletype text
);
CREATE VIEW pg_catalog.svv_external_tables AS SELECT * FROM lc_redshift.ext_tables;
CREATE TABLE lc_redshift.ext_columns (
    redshift_database_name text, schemaname text, tablename text, columnname text, external_type text,
    columnnum integer, part_key integer, is_nullable text
);
CREATE VIEW pg_catalog.svv_external_columns AS SELECT * FROM lc_redshift.ext_columns;
CREATE TABLE lc_redshift.ext_partitions (
    redshift_database_name text, schemaname text, tablename text, "values" text, location text,
    input_format text, output_format text, serialization_lib text, serde_parameters text, compressed integer,
    parameters text
);
CREATE VIEW pg_catalog.svv_external_partitions AS SELECT * FROM lc_redshift.ext_partitions;

GRANT SELECT ON pg_catalog.svv_external_tables, pg_catalog.svv_external_columns, pg_catalog.svv_external_partitions
    TO PUBLIC;
GRANT SELECT ON pg_catalog.svv_external_schemas, pg_catalog.stl_load_errors, pg_catalog.sys_load_error_detail,
    pg_catalog.sys_query_detail, pg_catalog.sys_external_query_detail, pg_catalog.svl_s3query_summary,
    pg_catalog.svv_table_info, pg_catalog.stv_tbl_perm, pg_catalog.stv_slices, pg_catalog.pg_table_def TO PUBLIC;

-- Redshift functions PostgreSQL lacks (the ones sqlglot does not already translate).
CREATE FUNCTION pg_catalog.getdate() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT now() AT TIME ZONE 'UTC' $$;
-- Redshift's DATE_TRUNC of a date gives a timestamp (PostgreSQL's would go through timestamptz)
CREATE FUNCTION pg_catalog.date_trunc(text, date) RETURNS timestamp LANGUAGE sql IMMUTABLE
    AS $$ SELECT pg_catalog.date_trunc($1, $2::timestamp) $$;
-- TRUNC(timestamp) gives the date
CREATE FUNCTION pg_catalog.trunc(timestamp) RETURNS date LANGUAGE sql IMMUTABLE AS $$ SELECT $1::date $$;
"""
