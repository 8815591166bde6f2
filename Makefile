# Two commands from a fresh machine: `make demo` and `make test`. Both set up first.
PY ?= python3
APT_PACKAGES = libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins sox libsox-fmt-all espeak-ng sound-theme-freedesktop
STAMP = .cache/setup.stamp

.PHONY: setup demo test test-fast

$(STAMP): pyproject.toml
	@mkdir -p .cache
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; fi
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	sao edit examples/kitchen_scene.wav "trim the first half second, make it sound like an old telephone, then add a small room reverb" -o examples/kitchen_scene.telephone.wav --force
	sao info examples/kitchen_scene.wav examples/kitchen_scene.telephone.wav

test: setup
	bash tests/fetch_sat_wheel.sh  # stable-audio-tools 0.0.19, unpacked not installed: the converter parity reference
	$(PY) -m pytest -q -ra

test-fast: setup
	$(PY) -m pytest -q -ra -m "not slow"

