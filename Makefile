.PHONY: help run test bench
help:   ## list the everyday commands
	@grep -E '^[a-z]+:.*##' Makefile | sed 's/:.*## /\t/'
run:    ## start a node on its defaults (scripts/run)
	scripts/run
test:   ## everything CI runs (scripts/test)
	scripts/test
bench:  ## benchmarks against raw SQLite (scripts/bench)
	scripts/bench
