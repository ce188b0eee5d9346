//! PostgreSQL's catalog relations (`pg_catalog`, `information_schema`) as temporary views over
//! the helper tables ([`super::helpers`]).

/// The catalog's relations, in dependency order.
pub(super) const VIEWS: &[&str] = &[
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_namespace(oid, nspname, nspowner, nspacl) AS
      SELECT OID[column1], column2, column3, column4 FROM (VALUES (11, 'pg_catalog', 10, NULL),
        (2200, 'public', 10, NULL), (13000, 'information_schema', 10, NULL))"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_class(oid, relname, relnamespace, reltype, reloftype,
        relowner, relam, relfilenode, reltablespace, relpages, reltuples, relallvisible,
        reltoastrelid, relhasindex, relisshared, relpersistence, relkind, relnatts, relchecks,
        relhasrules, relhastriggers, relhassubclass, relrowsecurity, relforcerowsecurity,
        relispopulated, relreplident, relispartition, relrewrite, relfrozenxid, relminmxid,
        relacl, reloptions, relpartbound) AS
      SELECT OID[t.oid], t.name, 2200, 0, 0, 10, CASE t.kind WHEN 'table' THEN 2 ELSE 0 END, t.oid, 0,
        0, -1, 0, 0,
        BOOL[EXISTS (SELECT 1 FROM ha_indexes x WHERE x.tbl_oid = t.oid)], BOOL[0], 'p',
        CASE t.kind WHEN 'table' THEN 'r' ELSE 'v' END,
        (SELECT count(*) FROM ha_columns c WHERE c.rel_oid = t.oid AND c.hidden <> 1), 0,
        BOOL[t.kind = 'view'],
        BOOL[EXISTS (SELECT 1 FROM ha_foreign_keys f WHERE f.tbl_oid = t.oid)
          OR EXISTS (SELECT 1 FROM ha_foreign_keys f WHERE f.ref_oid = t.oid)],
        BOOL[0], BOOL[0], BOOL[0], BOOL[1], 'd', BOOL[0], 0, 0, 0, NULL, NULL, NULL
      FROM ha_tables t
      UNION ALL
      SELECT OID[x.oid], x.name, 2200, 0, 0, 10, 403, x.oid, 0, 0, -1, 0, 0, BOOL[0], BOOL[0], 'p', 'i',
        (SELECT count(*) FROM ha_index_columns k WHERE k.index_oid = x.oid), 0, BOOL[0], BOOL[0],
        BOOL[0], BOOL[0], BOOL[0], BOOL[1], 'n', BOOL[0], 0, 0, 0, NULL, NULL, NULL
      FROM ha_indexes x
      UNION ALL
      SELECT OID[oid], relname, 11, 0, 0, 10, 2, oid, 0, 0, -1, 0, 0, BOOL[0], BOOL[0], 'p', 'r', 0, 0,
        BOOL[0], BOOL[0], BOOL[0], BOOL[0], BOOL[0], BOOL[1], 'n', BOOL[0], 0, 0, 0, NULL, NULL, NULL
      FROM (SELECT 1259 AS oid, 'pg_class' AS relname UNION ALL SELECT 2606, 'pg_constraint'
        UNION ALL SELECT 2615, 'pg_namespace' UNION ALL SELECT 1249, 'pg_attribute'
        UNION ALL SELECT 1247, 'pg_type' UNION ALL SELECT 1255, 'pg_proc'
        UNION ALL SELECT 2610, 'pg_index' UNION ALL SELECT 2604, 'pg_attrdef'
        UNION ALL SELECT 2609, 'pg_description' UNION ALL SELECT 1262, 'pg_database'
        UNION ALL SELECT 2601, 'pg_am' UNION ALL SELECT 2618, 'pg_rewrite'
        UNION ALL SELECT 2620, 'pg_trigger')"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_attribute(attrelid, attname, atttypid, attstattarget,
        attlen, attnum, attndims, attcacheoff, atttypmod, attbyval, attalign, attstorage,
        attcompression, attnotnull, atthasdef, atthasmissing, attidentity, attgenerated,
        attisdropped, attislocal, attinhcount, attcollation, attacl, attoptions, attfdwoptions,
        attmissingval) AS
      SELECT OID[c.rel_oid], c.name, ha_pg_type(c.declared), -1,
        ha_pg_typlen(ha_pg_type(c.declared)), c.attnum, 0, -1, ha_pg_typmod(c.declared), BOOL[ha_pg_typlen(ha_pg_type(c.declared)) > 0],
        'd', CASE WHEN ha_pg_typlen(ha_pg_type(c.declared)) > 0 THEN 'p' ELSE 'x' END, '',
        BOOL[c.not_null OR c.pk > 0 AND c.kind = 'table' AND upper(c.declared) = 'INTEGER'],
        BOOL[c.default_value IS NOT NULL], BOOL[0], '',
        CASE WHEN c.hidden IN (2, 3) THEN 's' ELSE '' END, BOOL[0], BOOL[1], 0,
        CASE WHEN ha_pg_type(c.declared) IN (25, 1043, 1042) THEN 100 ELSE 0 END,
        NULL, NULL, NULL, NULL
      FROM ha_columns c WHERE c.hidden <> 1
      UNION ALL
      SELECT OID[k.index_oid], k.name, ha_pg_type(c.declared), -1,
        ha_pg_typlen(ha_pg_type(c.declared)), k.ord, 0, -1, ha_pg_typmod(c.declared), BOOL[0], 'd', 'p', '', BOOL[0], BOOL[0], BOOL[0], '',
        '', BOOL[0], BOOL[1], 0, 0, NULL, NULL, NULL, NULL
      FROM ha_index_columns k JOIN ha_indexes x ON x.oid = k.index_oid
        LEFT JOIN ha_columns c ON c.rel_oid = x.tbl_oid AND c.attnum = k.attnum"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_attrdef(oid, adrelid, adnum, adbin) AS
      SELECT OID[4000000 + 1000 * (c.rel_oid - 16384) + c.attnum], OID[c.rel_oid], c.attnum,
        c.default_value
      FROM ha_columns c WHERE c.default_value IS NOT NULL"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_index(indexrelid, indrelid, indnatts, indnkeyatts,
        indisunique, indnullsnotdistinct, indisprimary, indisexclusion, indimmediate,
        indisclustered, indisvalid, indcheckxmin, indisready, indislive, indisreplident, indkey,
        indcollation, indclass, indoption, indexprs, indpred) AS
      SELECT OID[x.oid], OID[x.tbl_oid],
        (SELECT count(*) FROM ha_index_columns k WHERE k.index_oid = x.oid),
        (SELECT count(*) FROM ha_index_columns k WHERE k.index_oid = x.oid), BOOL[x.is_unique],
        BOOL[0], BOOL[x.is_primary], BOOL[0], BOOL[1], BOOL[0], BOOL[1], BOOL[0], BOOL[1], BOOL[1],
        BOOL[0],
        (SELECT group_concat(attnum, ' ') FROM (SELECT k.attnum FROM ha_index_columns k
          WHERE k.index_oid = x.oid ORDER BY k.ord)),
        (SELECT group_concat(0, ' ') FROM ha_index_columns k WHERE k.index_oid = x.oid),
        (SELECT group_concat(0, ' ') FROM ha_index_columns k WHERE k.index_oid = x.oid),
        (SELECT group_concat(descending, ' ') FROM (SELECT k.descending FROM ha_index_columns k
          WHERE k.index_oid = x.oid ORDER BY k.ord)),
        NULL,
        CASE WHEN x.partial THEN substr(x.sql, instr(upper(x.sql), ' WHERE ') + 7) END
      FROM ha_indexes x"#,
    // Constraints: primary keys and UNIQUEs (from their indexes) and foreign keys.
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_constraint(oid, conname, connamespace, contype,
        condeferrable, condeferred, convalidated, conrelid, contypid, conindid, conparentid,
        confrelid, confupdtype, confdeltype, confmatchtype, conislocal, coninhcount,
        connoinherit, conkey, confkey, conpfeqop, conppeqop, conffeqop, confdelsetcols,
        conexclop, conbin) AS
      SELECT OID[2000000 + x.oid], x.name, 2200, CASE WHEN x.is_primary THEN 'p' ELSE 'u' END,
        BOOL[0], BOOL[0], BOOL[1], OID[x.tbl_oid], 0, OID[x.oid], 0, OID[0], ' ', ' ', ' ', BOOL[1],
        0, BOOL[1],
        '{' || (SELECT group_concat(attnum, ',') FROM (SELECT k.attnum FROM ha_index_columns k
          WHERE k.index_oid = x.oid ORDER BY k.ord)) || '}',
        NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM ha_indexes x WHERE x.origin IN ('pk', 'u')
      UNION ALL
      SELECT OID[f.oid], f.tbl || '_' || group_concat(f.from_col, '_') || '_fkey', 2200, 'f',
        BOOL[0], BOOL[0], BOOL[1], OID[f.tbl_oid], 0,
        OID[coalesce((SELECT x.oid FROM ha_indexes x WHERE x.tbl_oid = f.ref_oid AND x.is_primary),
          0)],
        0, OID[f.ref_oid], ha_fk_action(f.on_update), ha_fk_action(f.on_delete), 's', BOOL[1], 0,
        BOOL[1], '{' || group_concat(f.from_attnum, ',') || '}',
        '{' || group_concat(f.to_attnum, ',') || '}', NULL, NULL, NULL, NULL, NULL, NULL
      FROM (SELECT * FROM ha_foreign_keys ORDER BY oid, seq) f GROUP BY f.oid"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_type(oid, typname, typnamespace, typowner, typlen,
        typbyval, typtype, typcategory, typispreferred, typisdefined, typdelim, typrelid,
        typsubscript, typelem, typarray, typinput, typoutput, typreceive, typsend, typmodin,
        typmodout, typanalyze, typalign, typstorage, typnotnull, typbasetype, typtypmod,
        typndims, typcollation, typdefaultbin, typdefault, typacl) AS
      SELECT t.oid, t.name, 11, 10, ha_pg_typlen(t.oid), BOOL[ha_pg_typlen(t.oid) > 0], 'b',
        t.category, BOOL[0], BOOL[1], ',', 0, '', 0, t.array, t.name || 'in', t.name || 'out',
        t.name || 'recv', t.name || 'send', '-', '-', '-', 'i', 'p', BOOL[0], 0, -1, 0,
        CASE WHEN t.category = 'S' THEN 100 ELSE 0 END, NULL, NULL, NULL
      FROM (SELECT 16 AS oid, 'bool' AS name, 'B' AS category, 1000 AS array
        UNION ALL SELECT 17, 'bytea', 'U', 1001 UNION ALL SELECT 18, 'char', 'Z', 1002
        UNION ALL SELECT 19, 'name', 'S', 1003 UNION ALL SELECT 20, 'int8', 'N', 1016
        UNION ALL SELECT 21, 'int2', 'N', 1005 UNION ALL SELECT 23, 'int4', 'N', 1007
        UNION ALL SELECT 25, 'text', 'S', 1009 UNION ALL SELECT 26, 'oid', 'N', 1028
        UNION ALL SELECT 114, 'json', 'U', 199 UNION ALL SELECT 700, 'float4', 'N', 1021
        UNION ALL SELECT 701, 'float8', 'N', 1022 UNION ALL SELECT 1042, 'bpchar', 'S', 1014
        UNION ALL SELECT 1043, 'varchar', 'S', 1015 UNION ALL SELECT 1082, 'date', 'D', 1182
        UNION ALL SELECT 1083, 'time', 'D', 1183 UNION ALL SELECT 1114, 'timestamp', 'D', 1115
        UNION ALL SELECT 1184, 'timestamptz', 'D', 1185 UNION ALL SELECT 1700, 'numeric', 'N', 1231
        UNION ALL SELECT 2950, 'uuid', 'U', 2951 UNION ALL SELECT 3802, 'jsonb', 'U', 3807) t"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_am(oid, amname, amhandler, amtype) AS
      VALUES (2, 'heap', 'heap_tableam_handler', 't'), (403, 'btree', 'bthandler', 'i')"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_roles(oid, rolname, rolsuper, rolinherit, rolcreaterole,
        rolcreatedb, rolcanlogin, rolreplication, rolconnlimit, rolpassword, rolvaliduntil,
        rolbypassrls, rolconfig) AS
      SELECT 10, ha_pg_user(), BOOL[1], BOOL[1], BOOL[1], BOOL[1], BOOL[1], BOOL[0], -1,
        '********', NULL, BOOL[0], NULL"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_user(usename, usesysid, usecreatedb, usesuper, userepl,
        usebypassrls, passwd, valuntil, useconfig) AS
      SELECT ha_pg_user(), 10, BOOL[1], BOOL[1], BOOL[0], BOOL[0], '********', NULL, NULL"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_database(oid, datname, datdba, encoding, datlocprovider,
        datistemplate, datallowconn, datconnlimit, datfrozenxid, datminmxid, dattablespace,
        datcollate, datctype, daticulocale, datcollversion, datacl) AS
      SELECT 16383, ha_pg_database(), 10, 6, 'c', BOOL[0], BOOL[1], -1, 0, 0, 1663, 'C', 'C',
        NULL, NULL, NULL"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_tablespace(oid, spcname, spcowner, spcacl, spcoptions) AS
      VALUES (1663, 'pg_default', 10, NULL, NULL)"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_collation(oid, collname, collnamespace, collowner,
        collprovider, collisdeterministic, collencoding, collcollate, collctype) AS
      SELECT 100, 'default', 11, 10, 'd', BOOL[1], -1, NULL, NULL"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_settings(name, setting, unit, category, short_desc,
        context, vartype, source) AS
      VALUES ('max_index_keys', '32', NULL, 'Preset Options', '', 'internal', 'integer', 'default'),
             ('server_version', ha_pg_version(), NULL, 'Preset Options', '', 'internal', 'string',
              'default'),
             ('server_encoding', 'UTF8', NULL, 'Preset Options', '', 'internal', 'string',
              'default'),
             ('standard_conforming_strings', 'on', NULL, 'Preset Options', '', 'user', 'bool',
              'default'),
             ('default_table_access_method', 'heap', NULL, '', '', 'user', 'string', 'default')"#,
    // What SQLite has no counterpart of: there, empty, so that queries joining them work.
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_description(objoid, classoid, objsubid, description) AS
      SELECT 0, 0, 0, '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_shdescription(objoid, classoid, description) AS
      SELECT 0, 0, '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_inherits(inhrelid, inhparent, inhseqno,
        inhdetachpending) AS SELECT 0, 0, 0, 0 WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_depend(classid, objid, objsubid, refclassid, refobjid,
        refobjsubid, deptype) AS SELECT 0, 0, 0, 0, 0, 0, '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_sequence(seqrelid, seqtypid, seqstart, seqincrement,
        seqmax, seqmin, seqcache, seqcycle) AS SELECT 0, 0, 0, 0, 0, 0, 0, 0 WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_trigger(oid, tgrelid, tgparentid, tgname, tgfoid,
        tgtype, tgenabled, tgisinternal, tgconstrrelid, tgconstrindid, tgconstraint,
        tgdeferrable, tginitdeferred, tgnargs, tgattr, tgargs, tgqual, tgoldtable, tgnewtable)
      AS SELECT 0, 0, 0, '', 0, 0, '', 0, 0, 0, 0, 0, 0, 0, '', '', NULL, NULL, NULL WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_proc(oid, proname, pronamespace, proowner, prolang,
        prokind, proretset, prorettype, proargtypes, prosrc) AS
      SELECT 0, '', 0, 0, 0, '', 0, 0, '', '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_enum(oid, enumtypid, enumsortorder, enumlabel) AS
      SELECT 0, 0, 0, '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_extension(oid, extname, extowner, extnamespace,
        extrelocatable, extversion) AS SELECT 0, '', 0, 0, 0, '' WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_opclass(oid, opcmethod, opcname, opcnamespace, opcowner,
        opcfamily, opcintype, opcdefault, opckeytype) AS SELECT 0, 0, '', 0, 0, 0, 0, 0, 0 WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_policy(oid, polname, polrelid, polcmd, polpermissive,
        polroles, polqual, polwithcheck) AS SELECT 0, '', 0, '', 0, '', NULL, NULL WHERE 0"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_tables(schemaname, tablename, tableowner, tablespace,
        hasindexes, hasrules, hastriggers, rowsecurity) AS
      SELECT 'public', relname, ha_pg_user(), NULL, relhasindex, BOOL[0], BOOL[0], BOOL[0]
      FROM pg_class WHERE relkind = 'r' AND relnamespace = 2200"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_views(schemaname, viewname, viewowner, definition) AS
      SELECT 'public', name, ha_pg_user(), ha_view_definition(sql) FROM ha_tables WHERE kind = 'view'"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS pg_indexes(schemaname, tablename, indexname, tablespace,
        indexdef) AS
      SELECT 'public', tbl, name, NULL, pg_get_indexdef(oid) FROM ha_indexes"#,
    // The information schema: its relations are written `information_schema.x`, which the
    // wire protocols' translation turns into `information_schema_x`.
    r#"CREATE TEMP VIEW IF NOT EXISTS information_schema_schemata(catalog_name, schema_name,
        schema_owner, default_character_set_catalog, default_character_set_schema,
        default_character_set_name, sql_path) AS
      SELECT ha_pg_database(), nspname, ha_pg_user(), NULL, NULL, NULL, NULL FROM pg_namespace"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS information_schema_tables(table_catalog, table_schema,
        table_name, table_type, self_referencing_column_name, reference_generation,
        user_defined_type_catalog, user_defined_type_schema, user_defined_type_name,
        is_insertable_into, is_typed, commit_action) AS
      SELECT ha_pg_database(), 'public', name, CASE kind WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END,
        NULL, NULL, NULL, NULL, NULL, CASE kind WHEN 'view' THEN 'NO' ELSE 'YES' END, 'NO', NULL
      FROM ha_tables"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS information_schema_views(table_catalog, table_schema,
        table_name, view_definition, check_option, is_updatable, is_insertable_into,
        is_trigger_updatable, is_trigger_deletable, is_trigger_insertable_into) AS
      SELECT ha_pg_database(), 'public', name, ha_view_definition(sql), 'NONE', 'NO', 'NO', 'NO',
        'NO', 'NO'
      FROM ha_tables WHERE kind = 'view'"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS information_schema_columns(table_catalog, table_schema,
        table_name, column_name, ordinal_position, column_default, is_nullable, data_type,
        character_maximum_length, character_octet_length, numeric_precision,
        numeric_precision_radix, numeric_scale, datetime_precision, interval_type,
        interval_precision, character_set_catalog, character_set_schema, character_set_name,
        collation_catalog, collation_schema, collation_name, domain_catalog, domain_schema,
        domain_name, udt_catalog, udt_schema, udt_name, scope_catalog, scope_schema, scope_name,
        maximum_cardinality, dtd_identifier, is_self_referencing, is_identity,
        identity_generation, identity_start, identity_increment, identity_maximum,
        identity_minimum, identity_cycle, is_generated, generation_expression, is_updatable) AS
      SELECT ha_pg_database(), 'public', c.relname, a.attname, a.attnum,
        (SELECT d.adbin FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum),
        CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END,
        ha_information_schema_type(a.atttypid),
        CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod > 4 THEN a.atttypmod - 4 END,
        CASE WHEN a.atttypid IN (25, 1042, 1043) THEN 1073741824 END,
        CASE a.atttypid WHEN 20 THEN 64 WHEN 23 THEN 32 WHEN 21 THEN 16 WHEN 701 THEN 53
          WHEN 700 THEN 24 WHEN 1700 THEN CASE WHEN a.atttypmod > 4 THEN (a.atttypmod - 4) >> 16 END
          END,
        CASE WHEN a.atttypid IN (20, 23, 21, 701, 700) THEN 2 WHEN a.atttypid = 1700 THEN 10 END,
        CASE WHEN a.atttypid IN (20, 23, 21) THEN 0
          WHEN a.atttypid = 1700 AND a.atttypmod > 4 THEN (a.atttypmod - 4) & 65535 END,
        CASE WHEN a.atttypid IN (1082, 1083, 1114, 1184) THEN CASE WHEN a.atttypid = 1082 THEN 0
          ELSE 6 END END,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        ha_pg_database(), 'pg_catalog', (SELECT t.typname FROM pg_type t WHERE t.oid = a.atttypid),
        NULL, NULL, NULL, NULL, a.attnum, 'NO', 'NO', NULL, NULL, NULL, NULL, NULL, 'NO',
        CASE WHEN a.attgenerated = '' THEN 'NEVER' ELSE 'ALWAYS' END, NULL,
        CASE c.relkind WHEN 'r' THEN 'YES' ELSE 'NO' END
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relkind IN ('r', 'v')"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS information_schema_table_constraints(constraint_catalog,
        constraint_schema, constraint_name, table_catalog, table_schema, table_name,
        constraint_type, is_deferrable, initially_deferred, enforced, nulls_distinct) AS
      SELECT ha_pg_database(), 'public', con.conname, ha_pg_database(), 'public', c.relname,
        CASE con.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE'
          WHEN 'f' THEN 'FOREIGN KEY' ELSE 'CHECK' END, 'NO', 'NO', 'YES',
        CASE WHEN con.contype = 'u' THEN 'YES' END
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS information_schema_key_column_usage(constraint_catalog,
        constraint_schema, constraint_name, table_catalog, table_schema, table_name, column_name,
        ordinal_position, position_in_unique_constraint) AS
      SELECT ha_pg_database(), 'public', con.conname, ha_pg_database(), 'public', x.tbl, k.name,
        k.ord, NULL
      FROM pg_constraint con JOIN ha_indexes x ON x.oid = con.conindid
        JOIN ha_index_columns k ON k.index_oid = x.oid
      WHERE con.contype IN ('p', 'u')
      UNION ALL
      SELECT ha_pg_database(), 'public', con.conname, ha_pg_database(), 'public', f.tbl,
        f.from_col, f.seq, f.seq
      FROM pg_constraint con JOIN ha_foreign_keys f ON f.oid = con.oid"#,
    r#"CREATE TEMP VIEW IF NOT EXISTS information_schema_referential_constraints(
        constraint_catalog, constraint_schema, constraint_name, unique_constraint_catalog,
        unique_constraint_schema, unique_constraint_name, match_option, update_rule,
        delete_rule) AS
      SELECT ha_pg_database(), 'public', con.conname, ha_pg_database(), 'public',
        (SELECT u.conname FROM pg_constraint u WHERE u.conindid = con.conindid AND u.contype IN ('p', 'u')),
        'NONE', ha_fk_rule(con.confupdtype), ha_fk_rule(con.confdeltype)
      FROM pg_constraint con WHERE con.contype = 'f'"#,
];
