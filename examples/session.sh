#!/bin/sh
# A short session with the ctx command on the embedded default store (./.ctxlog/ctxlog.db).
# Run it from the repository root after `pnpm build`.
set -e
ctx() { node packages/cli/bin/ctx.js "$@"; }

export CTXLOG_STORE="sqlite:./.ctxlog/session.db"
rm -rf ./.ctxlog/session.db ./.ctxlog/session.db-wal ./.ctxlog/session.db-shm

ctx upload shirt1 --context 'caption=New|alt=a\=b\|c'
ctx upload shirt2
ctx add shirt1 shirt2 --context 'product=shirt|color=blue'
ctx remove-keys shirt2 --keys color
ctx get shirt1
ctx get shirt1 --json
ctx get shirt1 --as-of 1
ctx history shirt1
ctx by-context product shirt
ctx replay
