# outpost - build, run and test.
#   make            build build/outpost
#   make run        install missing packages, build, init ./data, serve
#   make test       everything CI runs: unit + integration, again under
#                   ASan+UBSan, and fuzz corpus replay; ends "N passed, N failed"
#   make fuzz       libFuzzer targets (clang), each for FUZZ_SECONDS
#   make bench      benchmarks against Postfix/Dovecot (bench/)
#   make lint       banned-call check and clang-format check
#   make valgrind   unit tests under valgrind --leak-check=full

CC ?= cc
PKGS := openssl sqlite3 libcrypt
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -lsqlite3 -lcrypt)

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wvla \
	-Wimplicit-fallthrough -Wundef
HARDEN := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -g $(WARN) $(PKG_CFLAGS) -Isrc
LDHARDEN := -pie -Wl,-z,relro,-z,now,-z,noexecstack

ifeq ($(SAN),)
BUILD ?= build
OPT := -O2 $(HARDEN)
LDFLAGS_X := $(LDHARDEN)
else
BUILD ?= build-san
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -DOUTPOST_TESTING
LDFLAGS_X := -fsanitize=address,undefined
endif

CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
LIBS := $(PKG_LIBS) -lpthread

LIB_SRCS := $(sort $(wildcard src/core/*.c src/store/*.c src/mime/*.c \
	src/smtp/*.c src/imap/*.c src/pop3/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/replay_%)

.PHONY: all run test test-quick unit integration replay fuzz bench lint valgrind \
	deps deps-test clean format

all: $(BUILD)/outpost $(UNIT_BINS) $(REPLAY_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libOutpost.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/outpost: $(CLI_OBJS) $(BUILD)/libOutpost.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_X) -o $@ $(CLI_OBJS) $(BUILD)/libOutpost.a $(LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(BUILD)/libOutpost.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_X) -Itests/unit -o $@ $< $(BUILD)/libOutpost.a $(LIBS)

$(BUILD)/tests/replay_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) $(BUILD)/libOutpost.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_X) -o $@ $< tests/fuzz/replay.c $(BUILD)/libOutpost.a $(LIBS)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)

deps:
	@sh scripts/deps.sh

deps-test:
	@sh scripts/deps.sh test

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/outpost
	@sh scripts/run.sh $(BUILD)/outpost

# The whole suite: plain build, then ASan+UBSan build, then the tally.
test: deps-test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SAN=1 all
	@sh scripts/test.sh

test-quick: all
	@sh scripts/test.sh --quick

fuzz: deps-test
	@sh scripts/fuzz.sh

bench: deps
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bash bench/smtp-ingest
	@bash bench/mail-access

lint:
	@sh scripts/lint.sh

# unit tests under valgrind (plain build): leaks and invalid accesses fail
valgrind: all
	@for t in $(UNIT_BINS); do \
		echo "== valgrind $$t"; \
		valgrind -q --leak-check=full --error-exitcode=1 $$t >/dev/null \
		    || { echo "FAIL valgrind $$t"; exit 1; }; \
	done; echo "ok valgrind"

format:
	clang-format -i $(LIB_SRCS) $(CLI_SRCS) $(wildcard src/*/*.h)

clean:
	rm -rf build build-san build-fuzz
