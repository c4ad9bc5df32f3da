# Shortcuts for the two commands in the README (make is optional).
.PHONY: run test
run:
	./scripts/run
test:
	./scripts/test
