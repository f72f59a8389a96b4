"""The only place with SQL: tables, queries per aggregate, migrations."""
