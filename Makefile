.PHONY: help run test bench pgclients
help:   ## list the everyday commands
	@grep -E '^[a-z]+:.*##' Makefile | sed 's/:.*## /\t/'
run:    ## start a node on its defaults (scripts/run)
	scripts/run
test:   ## everything CI runs (scripts/test)
	scripts/test
pgclients:  ## the PostgreSQL client suites alone: psycopg/SQLAlchemy, node-postgres, pgjdbc (scripts/test-pg-clients)
	scripts/test-pg-clients
bench:  ## benchmarks: HTTP vs raw SQLite, replication, PostgreSQL vs HTTP (scripts/bench)
	scripts/bench
