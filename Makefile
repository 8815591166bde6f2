# Two commands from a fresh machine: `make demo` and `make test`. Both set up first.
#
# sao goes into a project virtual environment, .venv (a Python marked
# "externally managed", PEP 668, as on Debian 12, takes no pip installs of its
# own). Afterwards: `. .venv/bin/activate`, or run `.venv/bin/sao`.
# `make demo` installs the DSP editor only; `make test` adds every extra (torch...).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
TESTS ?=
# As root, what apt lacks is installed: the base set for every target, the rest for the tests.
APT_BASE = python3-venv libportaudio2
APT_TEST = pulseaudio pulseaudio-utils libasound2-plugins sox libsox-fmt-all espeak-ng sound-theme-freedesktop
APT_MISSING = command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && ! dpkg -s $(1) >/dev/null 2>&1
APT_INSTALL = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null
RUN = PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: setup setup-test demo test test-fast

$(BIN)/python:
	@if $(call APT_MISSING,$(APT_BASE)); then $(call APT_INSTALL,$(APT_BASE)); fi
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "make: '$(PYTHON) -m venv' failed: install python3-venv (apt-get install python3-venv), or run make as root" >&2; exit 1; }

$(VENV)/.base.stamp: pyproject.toml | $(BIN)/python
	sh tools/install.sh $(VENV) base
	touch $@

$(VENV)/.test.stamp: pyproject.toml | $(BIN)/python
	@if $(call APT_MISSING,$(APT_BASE) $(APT_TEST)); then $(call APT_INSTALL,$(APT_BASE) $(APT_TEST)); fi
	sh tools/install.sh $(VENV) dev
	touch $@

setup: $(VENV)/.base.stamp

setup-test: $(VENV)/.test.stamp

demo: setup
	$(RUN) sao edit examples/kitchen_scene.wav "trim the first half second, make it sound like an old telephone, then add a small room reverb" -o examples/kitchen_scene.telephone.wav --force
	$(RUN) sao info examples/kitchen_scene.wav examples/kitchen_scene.telephone.wav
	@echo "sao is in $(VENV): '. $(BIN)/activate' puts it on your PATH (or run $(BIN)/sao)"

test: setup-test
	PYTHON=$(BIN)/python bash tests/fetch_sat_wheel.sh  # stable-audio-tools 0.0.19, unpacked not installed: the converter parity reference
	$(RUN) $(BIN)/python -m pytest -q -ra $(TESTS)

test-fast: setup-test
	$(RUN) $(BIN)/python -m pytest -q -ra -m "not slow" $(TESTS)
