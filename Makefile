# Patron — plain Makefile. `make` builds libpatron (static + shared) and the `patron` program;
# `make test` builds the ASan+UBSan variant and the -Werror release build and runs every test;
# `make demo` runs the product on demo data; `make fuzz` runs the fuzz targets for a bounded time.
# Dependencies come from pkg-config; a missing one runs scripts/install-deps first.

PREFIX   ?= /usr/local
CC       ?= cc
BUILD    ?= build/release
SAN      ?= 0
PKGS     := sqlite3 libsodium jansson libpq icu-i18n icu-uc gsl libmicrohttpd openblas libcurl
VERSION  := 0.1.0

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CSTD     := -std=c17 -D_GNU_SOURCE
OPT      := -O2 -g
ifeq ($(SAN),1)
OPT      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
CFLAGS_ALL  := $(CSTD) $(WARN) $(OPT) -fPIC -Iinclude $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(OPT) $(LDFLAGS)
LIBS_ALL    := $(PKG_LIBS) -llinear -lxgboost -lpthread -lm

LIB_SRC  := $(wildcard src/*.c)
CLI_SRC  := $(wildcard cli/*.c)
SRV_SRC  := $(wildcard server/*.c)
TEST_SRC := $(wildcard tests/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
SRV_OBJ  := $(SRV_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

LIB_A    := $(BUILD)/lib/libpatron.a
LIB_SO   := $(BUILD)/lib/libpatron.so.0
BIN      := $(BUILD)/bin/patron
TEST_BIN := $(BUILD)/bin/patron-tests
BENCH_BIN := $(BUILD)/bin/ledger_bench $(BUILD)/bin/snapshot_bench $(BUILD)/bin/rfm_bench $(BUILD)/bin/clv_bench \
             $(BUILD)/bin/metrics_bench
BENCH_BIN += $(BUILD)/bin/churn_bench
BENCH_BIN += $(BUILD)/bin/campaign_bench

.PHONY: all deps lib test check demo fuzz bench install clean asan serve

all: deps
	@$(MAKE) --no-print-directory build-all

build-all: $(LIB_A) $(LIB_SO) $(BIN) $(BENCH_BIN)

# Installs missing Debian packages (checks with dpkg; quiet when everything is there).
deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c $(wildcard include/patron/*.h) $(wildcard src/*.h) $(wildcard cli/*.h) $(wildcard server/*.h) tests/test.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Isrc -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libpatron.so.0 $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)
	ln -sf libpatron.so.0 $(BUILD)/lib/libpatron.so

$(BIN): $(CLI_OBJ) $(SRV_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(SRV_OBJ) $(LIB_A) $(LIBS_ALL)

# The OpenAPI document is embedded into the server (server/openapi.c, .incbin).
$(BUILD)/server/openapi.o: docs/openapi.json

$(BUILD)/bin/%_bench: $(BUILD)/bench/%_bench.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB_A) $(LIBS_ALL)

$(TEST_BIN): $(TEST_OBJ) $(SRV_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $(TEST_OBJ) $(SRV_OBJ) $(LIB_A) $(LIBS_ALL)

# The test command: release build with -Werror, then every test under ASan+UBSan.
test check: deps
	@$(MAKE) --no-print-directory BUILD=build/release build-all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build-all build/asan/bin/patron-tests
	@$(MAKE) --no-print-directory web || [ "$${CI:-}" != true ] # else the browser test skips, saying why
	@scripts/run-tests build/asan

# The demo data (with churn scores and a recommendation model, so the churn page and
# GET …/recommendations have something to show), then the API and the dashboard on it (until
# Ctrl-C); NO_SERVE=1 stops after the data.
demo: deps
	@$(MAKE) --no-print-directory BUILD=build/release build-all
	build/release/bin/patron demo --data $${PATRON_DATA:-patron-data} $(DEMO_ARGS)
	build/release/bin/patron churn score --data $${PATRON_DATA:-patron-data} --limit 3
	build/release/bin/patron reco train --data $${PATRON_DATA:-patron-data}
	@if [ -z "$(NO_SERVE)" ]; then $(MAKE) --no-print-directory serve; fi

# The HTTP API on the demo data (after `make demo`): prints the URL and a fresh admin key.
serve: deps
	@$(MAKE) --no-print-directory BUILD=build/release build-all
	@$(MAKE) --no-print-directory web || echo "note: make web failed; / will say the dashboard is not built" >&2
	@echo "demo admin key: $$(build/release/bin/patron key create --role admin --name demo --data $${PATRON_DATA:-patron-data} | tail -n 1)"
	build/release/bin/patron serve --data $${PATRON_DATA:-patron-data} --listen $${PATRON_LISTEN:-127.0.0.1:8080}

FUZZ_TIME ?= 30
fuzz: deps
	@scripts/run-fuzz $(FUZZ_TIME)

bench: deps
	@$(MAKE) --no-print-directory BUILD=build/release build-all
	bench/run-import
	bench/run-ledger
	bench/run-snapshot
	bench/run-campaign
	bench/run-reco

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/patron \
	           $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libpatron.so.0 $(DESTDIR)$(PREFIX)/lib/libpatron.so
	install -m 644 include/patron/*.h $(DESTDIR)$(PREFIX)/include/patron/
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@REQUIRES@|$(PKGS)|g' patron.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/patron.pc

clean:
	rm -rf build

# The dashboard's front end (web/): npm ci from the committed lock file, then esbuild into
# web/dist, which `patron serve` serves at /. Redone only when its inputs change.
.PHONY: web
web: web/dist/index.html
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
web/dist/index.html: web/node_modules/.package-lock.json web/build.mjs web/index.html $(wildcard web/src/*.js web/src/*.css web/src/pages/*.js)
	cd web && npm run build
