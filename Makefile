# The two quick-start commands. Each is a thin wrapper over a script in scripts/ so that a
# machine without make can run the same thing: `scripts/run.sh`, `scripts/test.sh`.
.PHONY: run test lint

run:  ## set up and serve the app on SQLite with demo data
	scripts/run.sh

test:  ## set up and run lint, migration and schema checks and the whole suite
	scripts/test.sh $(ARGS)

lint:
	.venv/bin/python -m ruff check .
