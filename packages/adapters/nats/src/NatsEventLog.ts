/**
 * The event log on a JetStream stream, shared by every ctxlog process that connects to it.
 *
 * Layout: one stream (`<prefix>_events` unless named) holding `<prefix>.events.>`. Each asset
 * stream is one subject (`Subject.encode`), each event one message whose stream sequence is its
 * position. A KV bucket (`<stream>_commands`) indexes idempotency keys.
 *
 * Writes:
 * - An append of one event is one message, published with `expect.lastSubjectSequence` (the
 *   asset's revision check, done by the server) and the idempotency key as `msgID` (a retry
 *   after a lost acknowledgement is answered as a duplicate, never written twice).
 * - An append of several events, over one asset or several, is a run of messages at consecutive
 *   sequences: each after the first is published with `expect.lastSequence` set to the one
 *   before, and with its own subject's expectation. The batch counts when its last message is
 *   written; a run broken by another writer's message is void, readers pass over it, and the
 *   append is tried again on fresh expectations. So a batch is atomic, its positions are
 *   consecutive, and nothing another writer did is ever overwritten.
 * - A batch whose writer died mid-run is undecided while it is the stream's tail. A reader that
 *   must know waits a moment, then appends a seal (`<prefix>.events._seal`) expecting the tail to
 *   be unchanged: after it the batch can never finish, so it is void.
 *
 * Positions only grow, but void runs and seals leave gaps between them.
 *
 * @since 0.1.0
 */
import { type AssetId, Errors, Event, EventLog } from "@ctxlog/core"
import type { PubAck, StoredMsg } from "@nats-io/jetstream"
import { DeliverPolicy } from "@nats-io/jetstream"
import { type KV, Kvm } from "@nats-io/kv"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as Assembler from "./internal/assembler.js"
import * as Envelope from "./internal/envelope.js"
import { apiCode, describe, isRetryable, WRONG_LAST_SEQUENCE } from "./internal/failure.js"
import * as NatsConnection from "./NatsConnection.js"
import * as StreamSetup from "./StreamSetup.js"
import * as Subject from "./Subject.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Subjects are `<prefix>.events.…`; `ctxlog` unless set. */
  readonly prefix?: string | undefined
  /** The stream's name; `<prefix>_events` (dots as underscores) unless set. */
  readonly stream?: string | undefined
  /** 1 on a single server; 3 on a cluster, for a log that outlives a server. */
  readonly replicas?: 1 | 3 | undefined
  /** How long the server remembers a message id; 10 minutes unless set. */
  readonly duplicateWindow?: Duration.DurationInput | undefined
  /** Asset streams whose last revision and sequence are remembered; 100,000 unless set. */
  readonly tipCacheSize?: number | undefined
  /** How long a reader waits for an undecided batch before sealing it; 250 ms unless set. */
  readonly undecidedGrace?: Duration.DurationInput | undefined
  /** How long a reader hears nothing, with messages left to read, before it reopens; 5 s. */
  readonly stallAfter?: Duration.DurationInput | undefined
  /** How long a request is retried while the cluster elects a leader; 30 seconds unless set. */
  readonly unavailableFor?: Duration.DurationInput | undefined
}

/** The last revision of an asset stream, and the sequence of its subject's last message. */
interface Tip {
  readonly revision: number
  readonly seq: number
}

type Status = "committed" | "void" | "undecided"

const WALK_LIMIT = 24
/** Tries of a batch whose runs other writers keep breaking. */
const MAX_ATTEMPTS = 64
const SEAL_TOKEN = "_seal"
/** Larger than any sequence: an expectation that fails unless the message id is known. */
const NEVER = Number.MAX_SAFE_INTEGER

const EMPTY: Tip = { revision: 0, seq: 0 }

const hashKey = (key: string) => createHash("sha256").update(key).digest("hex").slice(0, 48)

const resolve = (options: Options) => {
  const prefix = options.prefix ?? Subject.defaultPrefix
  const name = options.stream ?? `${prefix.replaceAll(".", "_")}_events`
  return {
    prefix,
    commands: `${name}_commands`,
    spec: {
      name,
      subjects: [Subject.eventsWildcard(prefix)],
      replicas: options.replicas ?? 1,
      duplicateWindow: Duration.decode(options.duplicateWindow ?? "10 minutes"),
      description: "ctxlog events, one subject per asset stream"
    } satisfies StreamSetup.Spec
  }
}

/**
 * The log on a connection; creates or checks its stream and command index first.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  EventLog.EventLogShape,
  StreamSetup.StreamMismatch | StreamSetup.StreamSetupError,
  NatsConnection.NatsConnection
> =>
  Effect.gen(function*() {
    const { commands, prefix, spec } = resolve(options)
    const stream = spec.name
    yield* StreamSetup.checkPrefix(prefix, stream)
    const { js, jsm, nc } = yield* NatsConnection.NatsConnection
    const info = yield* StreamSetup.ensure(jsm, spec)
    if (info.config.allow_direct !== true) {
      return yield* new StreamSetup.StreamMismatch({
        stream,
        field: "allow_direct",
        expected: "true",
        actual: String(info.config.allow_direct ?? false)
      })
    }
    const index: KV = yield* Effect.tryPromise({
      try: () =>
        new Kvm(js).create(commands, {
          history: 1,
          replicas: spec.replicas,
          description: "ctxlog idempotency keys and the results of their appends"
        }),
      catch: (cause) =>
        new StreamSetup.StreamSetupError({
          stream: `KV_${commands}`,
          detail: describe(cause),
          retryable: isRetryable(cause),
          cause
        })
    })
    const sealSubject = `${prefix}.events.${SEAL_TOKEN}`
    const text = new TextDecoder()
    // Encoding a subject costs more than the rest of an append's bookkeeping; assets repeat.
    const subjects = new Map<string, string>()
    const subjectOf = (asset: AssetId.AssetId) => {
      let subject = subjects.get(asset.key)
      if (subject === undefined) {
        if (subjects.size >= 100_000) subjects.clear()
        subject = Subject.encode(prefix, asset)
        subjects.set(asset.key, subject)
      }
      return subject
    }
    const grace = Duration.toMillis(Duration.decode(options.undecidedGrace ?? "250 millis"))
    const unavailable = Duration.decode(options.unavailableFor ?? "30 seconds")
    const tipCacheSize = options.tipCacheSize ?? 100_000
    const stallCheck = Duration.decode(options.stallAfter ?? "5 seconds")
    const version = (nc.info?.version ?? "0.0.0").split(".").map((n) => Number.parseInt(n, 10))
    const [major = 0, minor = 0, patch = 0] = version
    if (spec.replicas > 1 && major * 1e6 + minor * 1e3 + patch < 2_009_021) {
      // Not yet: across processes this cannot be mended here; the lock below covers one process.
      yield* Effect.logWarning(
        "this NATS server does not enforce expected subject sequences between concurrent " +
          "publishes on a replicated stream (nats-server#4320, fixed in 2.9.21): appends of " +
          "several processes to one asset can both succeed; use 2.9.21 or later"
      ).pipe(Effect.annotateLogs({ server: nc.info?.version, stream }))
    }

    // Elections and restarts pass; a request that failed that way is sent again. Publishes
    // are safe to send again because their message ids make a second copy a duplicate.
    const retryable = Schedule.exponential("50 millis", 1.5).pipe(
      Schedule.union(Schedule.spaced("1 second")),
      Schedule.jittered,
      Schedule.upTo(unavailable)
    )

    const call = <A>(operation: string, f: () => Promise<A>) => {
      const once = Effect.tryPromise({ try: f, catch: (cause) => cause })
      // The schedule is set up only after a failure: most calls succeed the first time.
      return once.pipe(
        Effect.catchIf(isRetryable, () =>
          once.pipe(Effect.retry({ while: isRetryable, schedule: retryable }))),
        Effect.mapError((cause) =>
          new Errors.EventLogError({ operation, detail: describe(cause), cause })
        )
      )
    }

    /** A publish whose failed expectation comes back as `undefined`, not as an error. */
    const publish = (
      operation: string,
      subject: string,
      data: string,
      opts: Parameters<typeof js.publish>[2]
    ): Effect.Effect<PubAck | undefined, Errors.EventLogError> =>
      call(operation, () =>
        js.publish(subject, data, opts).catch((error: unknown) => {
          if (apiCode(error) === WRONG_LAST_SEQUENCE) {
            return undefined
          }
          throw error
        }))

    const getSeq = (operation: string, seq: number) =>
      seq <= 0
        ? Effect.succeed(null)
        : call(operation, () =>
          jsm.direct.getMessage(stream, { seq }))

    const lastSeq = (operation: string) =>
      call(operation, () => jsm.streams.info(stream)).pipe(Effect.map((i) => i.state.last_seq))

    const unreadable = (operation: string, msg: { seq: number; subject: string }, why: string) =>
      new Errors.EventLogError({
        operation,
        detail: `message ${msg.seq} (${msg.subject}) of stream ${stream} is not a ctxlog ` +
          `event: ${why}`
      })

    /**
     * A message as a reader sees it: an entry, or a seal (or anything else) to pass over. An
     * `Either`, which is also an effect: the chunked readers need it without a fiber step.
     */
    const read = (
      operation: string,
      msg: { seq: number; subject: string; data: Uint8Array }
    ): Either.Either<Assembler.Read, Errors.EventLogError> => {
      if (msg.subject === sealSubject) return Either.right({ _tag: "Other", seq: msg.seq })
      return Either.match(Envelope.decode(msg.seq, text.decode(msg.data)), {
        onLeft: (why) => Either.left(unreadable(operation, msg, why)),
        onRight: (entry) => Either.right({ _tag: "Entry", entry })
      })
    }

    const entryOf = (operation: string, msg: { seq: number; subject: string; data: Uint8Array }) =>
      Effect.flatMap(read(operation, msg), (r) =>
        r._tag === "Entry"
          ? Effect.succeed(r.entry)
          : Effect.fail(unreadable(operation, msg, "a seal where an event was expected")))

    /** Whether the batch of an entry counts, from its last message (see the module comment). */
    const statusOf = (operation: string, entry: Envelope.Entry) =>
      Effect.gen(function*() {
        const { id, index, size } = entry.part
        const end = entry.seq - index + size - 1
        if (end === entry.seq) return "committed" as Status
        const msg = yield* getSeq(operation, end)
        if (msg === null) return (yield* lastSeq(operation)) < end ? "undecided" : "void"
        if (msg.subject === sealSubject) return "void"
        const other = Envelope.decode(msg.seq, text.decode(msg.data))
        return Either.isRight(other) && other.right.part.id === id &&
            other.right.part.index === size - 1
          ? "committed"
          : "void"
      })

    /**
     * Decides an undecided batch: waits for its writer, then seals the stream's tail so that the
     * batch can never finish.
     */
    const decided = (operation: string, entry: Envelope.Entry) =>
      Effect.gen(function*() {
        const deadline = Date.now() + grace
        for (;;) {
          const status = yield* statusOf(operation, entry)
          if (status !== "undecided") return status
          if (Date.now() < deadline) {
            yield* Effect.sleep("5 millis")
            continue
          }
          const tail = yield* lastSeq(operation)
          yield* publish(operation, sealSubject, "", { expect: { lastSequence: tail } })
        }
      })

    // The last known tip of each asset stream. A stale tip costs a conflict, never a wrong
    // write: the server checks every expectation.
    const tips = new Map<string, Tip>()
    const remember = (asset: AssetId.AssetId, tip: Tip) => {
      if (tipCacheSize <= 0) return
      tips.delete(asset.key)
      tips.set(asset.key, tip)
      if (tips.size > tipCacheSize) tips.delete(tips.keys().next().value!)
    }

    /** Walks an asset stream back from its last message over the `prev` links. */
    const walk = (
      operation: string,
      asset: AssetId.AssetId,
      stop: (committed: Envelope.Entry) => boolean
    ) =>
      Effect.gen(function*() {
        const subject = subjectOf(asset)
        const last = yield* call(
          operation,
          () => jsm.direct.getMessage(stream, { last_by_subj: subject })
        )
        const seen: Array<Envelope.Entry> = []
        let msg: StoredMsg | null = last
        let steps = 0
        while (msg !== null) {
          const entry = yield* entryOf(operation, msg)
          const status = yield* decided(operation, entry)
          if (status === "committed") {
            seen.push(entry)
            if (stop(entry)) break
          }
          if (++steps > WALK_LIMIT) return { last, seen, complete: false }
          msg = yield* getSeq(operation, entry.prev)
        }
        return { last, seen, complete: true }
      })

    /**
     * The tip an append expects. A stream that is not remembered and is expected empty is taken
     * to be empty without asking: the server refuses the publish if it is not, and the append
     * then asks.
     */
    const tipOf = (
      operation: string,
      asset: AssetId.AssetId,
      fresh: boolean,
      expected?: number
    ): Effect.Effect<Tip, Errors.EventLogError> =>
      Effect.gen(function*() {
        const known = fresh ? undefined : tips.get(asset.key)
        if (known !== undefined) return known
        if (!fresh && expected === 0) return EMPTY
        const { last, seen } = yield* walk(operation, asset, () => true)
        const tip = { revision: seen[0]?.event.revision ?? 0, seq: last?.seq ?? 0 }
        remember(asset, tip)
        return tip
      })

    /** Every message of one subject, oldest first, through an ordered consumer. */
    const readSubject = (operation: string, subject: string, through: number) =>
      Effect.gen(function*() {
        const messages = yield* call(operation, async () => {
          const consumer = await js.consumers.get(stream, {
            filter_subjects: subject,
            deliver_policy: DeliverPolicy.All
          })
          const out: Array<{ seq: number; subject: string; data: Uint8Array }> = []
          const iter = await consumer.consume()
          for await (const m of iter) {
            out.push({ seq: m.seq, subject: m.subject, data: m.data })
            if (m.seq >= through) break
          }
          void iter.close().catch(() => undefined)
          return out
        })
        const entries: Array<Envelope.Entry> = []
        for (const m of messages) {
          const entry = yield* entryOf(operation, m)
          if ((yield* decided(operation, entry)) === "committed") entries.push(entry)
        }
        return entries
      })

    const readStream: EventLog.EventLogShape["readStream"] = (asset, opts = {}) =>
      Effect.gen(function*() {
        const op = "readStream"
        const from = opts.fromRevision ?? 0
        const to = opts.toRevision ?? Infinity
        const walked = yield* walk(op, asset, (e) => e.event.revision <= from)
        const top = walked.seen[0]?.event.revision ?? 0
        remember(asset, { revision: top, seq: walked.last?.seq ?? 0 })
        const entries = walked.complete
          ? walked.seen.reverse()
          : yield* readSubject(op, subjectOf(asset), walked.last?.seq ?? 0)
        return entries
          .map((e) => e.event)
          .filter((e) => e.revision > from && e.revision <= to)
      })

    const indexResult = (result: Envelope.StoredResult) =>
      Effect.try({
        // Not awaited: the append counts once its messages are written, and the server keeps
        // the message id for its duplicate window meanwhile. Not yet: a process that dies
        // before the server stores this loses the key from the index, and a repeat after the
        // window is then decided again instead of answered with the first result.
        try: () =>
          nc.publish(
            `$KV.${commands}.${hashKey(result.key)}`,
            Envelope.encodeResult(result)
          ),
        catch: (cause) =>
          new Errors.EventLogError({ operation: "append", detail: describe(cause), cause })
      })

    const toResult = (stored: Envelope.StoredResult): EventLog.AppendResult => ({
      duplicate: true,
      position: stored.position,
      revisions: Envelope.loadRevisions(stored.revisions),
      receipt: stored.receipt
    })

    const lookup: EventLog.EventLogShape["lookup"] = (key) =>
      Effect.gen(function*() {
        const entry = yield* call("lookup", () => index.get(hashKey(key)))
        if (entry === null || entry.operation !== "PUT") return Option.none()
        const stored = Envelope.decodeResult(entry.string())
        if (Either.isLeft(stored)) {
          return yield* new Errors.EventLogError({
            operation: "lookup",
            detail: `the command index entry of ${JSON.stringify(key)} is unreadable: ` +
              stored.left
          })
        }
        return stored.right.key === key ? Option.some(toResult(stored.right)) : Option.none()
      })

    /** The first result of a batch whose last message is at `seq`. */
    const resultAt = (operation: string, seq: number) =>
      Effect.gen(function*() {
        const msg = yield* getSeq(operation, seq)
        if (msg === null) {
          return yield* new Errors.EventLogError({
            operation,
            detail: `message ${seq} of stream ${stream} is gone`
          })
        }
        const entry = yield* entryOf(operation, msg)
        if (entry.result === undefined) {
          return yield* unreadable(operation, msg, "the last message of a batch has no result")
        }
        return toResult(entry.result)
      })

    /**
     * A stale expectation, or a repeat of an append that was written before: the index knows
     * it, or else the server still remembers its first message's id.
     */
    const conflictOrRepeat = (
      batch: EventLog.AppendBatch,
      firstId: string,
      asset: AssetId.AssetId,
      expected: number,
      actual: number
    ) =>
      Effect.gen(function*() {
        const known = yield* lookup(batch.idempotencyKey)
        if (Option.isSome(known)) return known.value
        const subject = subjectOf(batch.writes[0]!.asset)
        const probe = yield* publish("append", subject, "", {
          msgID: firstId,
          // The stream's sequence, not the subject's: on a replicated stream the server checks
          // a subject expectation before it looks up the message id, and refuses a known id.
          expect: { lastSequence: NEVER }
        })
        if (probe !== undefined && probe.duplicate) {
          const first = yield* entryOf("append", (yield* getSeq("append", probe.seq))!)
          if ((yield* decided("append", first)) === "committed") {
            const end = first.seq - first.part.index + first.part.size - 1
            return yield* resultAt("append", end)
          }
        }
        return yield* new Errors.RevisionConflict({ asset: asset.toString(), expected, actual })
      })

    const emptyAppend = (batch: EventLog.AppendBatch) =>
      Effect.gen(function*() {
        const position = yield* head
        const stored: Envelope.StoredResult = {
          key: batch.idempotencyKey,
          position,
          revisions: [],
          receipt: batch.receipt
        }
        const created = yield* call("append", () =>
          index.create(hashKey(batch.idempotencyKey), Envelope.encodeResult(stored)).then(
            () =>
              true,
            (error: unknown) => {
              if (apiCode(error) === WRONG_LAST_SEQUENCE) return false
              throw error
            }
          ))
        if (created) {
          return { ...toResult(stored), duplicate: false }
        }
        const known = yield* lookup(batch.idempotencyKey)
        if (Option.isSome(known)) {
          return known.value
        }
        return yield* new Errors.EventLogError({
          operation: "append",
          detail: `the idempotency key ${JSON.stringify(batch.idempotencyKey)} collides with ` +
            "another key's hash in the command index"
        })
      })

    // One append at a time per asset stream from this process. On a replicated stream a server
    // before 2.9.21 does not hold a subject expectation between publishes in flight together
    // (nats-server#4320), so two appends of one process to one asset must not overlap there;
    // elsewhere it spares a publish the server would refuse anyway.
    const locks = new Map<string, { readonly lock: Effect.Semaphore; users: number }>()
    const exclusive = <A, E>(
      assets: ReadonlyArray<AssetId.AssetId>,
      effect: Effect.Effect<A, E>
    ): Effect.Effect<A, E> =>
      Effect.suspend(() => {
        // Taken in key order, so two batches over the same assets cannot wait on each other.
        const held = [...new Set(assets.map((a) => a.key))].sort().map((key) => {
          let entry = locks.get(key)
          if (entry === undefined) {
            entry = { lock: Effect.unsafeMakeSemaphore(1), users: 0 }
            locks.set(key, entry)
          }
          entry.users++
          return [key, entry] as const
        })
        const release = Effect.sync(() => {
          for (const [key, entry] of held) if (--entry.users === 0) locks.delete(key)
        })
        return Effect.ensuring(
          held.reduceRight((inner, [, entry]) => entry.lock.withPermits(1)(inner), effect),
          release
        )
      })

    const append: EventLog.EventLogShape["append"] = (batch) =>
      batch.writes.length === 0
        ? emptyAppend(batch)
        : exclusive(batch.writes.map((w) => w.asset), appendWrites(batch))

    const appendWrites = (batch: EventLog.AppendBatch) =>
      Effect.gen(function*() {
        const op = "append"
        const key = batch.idempotencyKey
        const revisions = batch.writes.map((w) => ({
          asset: w.asset,
          revision: w.expectedRevision + w.events.length
        }))
        const stored = Envelope.storeRevisions(revisions)
        const messages = batch.writes.flatMap((w) =>
          w.events.map((pending, n) => ({
            asset: w.asset,
            subject: subjectOf(w.asset),
            event: Event.record(pending, { revision: w.expectedRevision + n + 1, position: 0 })
          }))
        )
        const size = messages.length
        const single = size === 1
        const idOf = (attempt: number, i: number) => single ? key : `${key}#${attempt}#${i}`

        for (let attempt = 0;; attempt++) {
          if (attempt === MAX_ATTEMPTS) {
            return yield* new Errors.EventLogError({
              operation: op,
              detail: `other writers broke the run of a ${size}-event batch ${attempt} times ` +
                "in a row"
            })
          }
          const heads = yield* Effect.forEach(
            batch.writes,
            (w) => tipOf(op, w.asset, attempt > 0, w.expectedRevision),
            { concurrency: batch.writes.length > 1 ? 16 : 1 }
          )
          for (const [i, w] of batch.writes.entries()) {
            if (heads[i]!.revision !== w.expectedRevision) {
              return yield* conflictOrRepeat(
                batch,
                idOf(0, 0),
                w.asset,
                w.expectedRevision,
                heads[i]!.revision
              )
            }
          }
          const subjectSeq = new Map(batch.writes.map((w, i) => [w.asset.key, heads[i]!.seq]))
          const seqs: Array<number> = []
          let broken = false
          for (const [i, m] of messages.entries()) {
            const prev = subjectSeq.get(m.asset.key)!
            const data = Envelope.encode({
              key,
              prev,
              part: { id: `${key}#${attempt}`, index: i, size },
              event: m.event,
              result: i === size - 1 ? { revisions: stored, receipt: batch.receipt } : undefined
            })
            const ack = yield* publish(op, m.subject, data, {
              msgID: idOf(attempt, i),
              expect: i === 0
                ? { lastSubjectSequence: prev }
                : { lastSubjectSequence: prev, lastSequence: seqs[i - 1]! }
            })
            if (ack === undefined) {
              if (i === 0) {
                const now = yield* tipOf(op, m.asset, true)
                const w = batch.writes.find((w) => w.asset.key === m.asset.key)!
                if (now.revision !== w.expectedRevision) {
                  return yield* conflictOrRepeat(
                    batch,
                    idOf(0, 0),
                    m.asset,
                    w.expectedRevision,
                    now.revision
                  )
                }
              }
              broken = true
              break
            }
            if (ack.duplicate) {
              if (single) return yield* resultAt(op, ack.seq)
              if (i === 0) {
                // An earlier call wrote this attempt's first message: it stands or falls whole.
                const first = yield* entryOf(op, (yield* getSeq(op, ack.seq))!)
                if ((yield* decided(op, first)) === "committed") {
                  return yield* resultAt(op, ack.seq + size - 1)
                }
                broken = true
                break
              }
              if (ack.seq !== seqs[i - 1]! + 1) {
                broken = true
                break
              }
            }
            seqs.push(ack.seq)
            subjectSeq.set(m.asset.key, ack.seq)
          }
          if (broken) {
            // Another writer came between two messages of the run (or a seal did): it is void.
            yield* Effect.sleep(Duration.millis(Math.random() * Math.min(50, 2 ** attempt)))
            continue
          }
          const position = seqs[size - 1]!
          for (const [i, w] of batch.writes.entries()) {
            remember(w.asset, {
              revision: revisions[i]!.revision,
              seq: subjectSeq.get(w.asset.key)!
            })
          }
          yield* indexResult({ key, position, revisions: stored, receipt: batch.receipt })
          return { duplicate: false, position, revisions, receipt: batch.receipt }
        }
      })

    /** The position of the last event that counts. */
    const head: Effect.Effect<number, Errors.EventLogError> = Effect.gen(function*() {
      let seq = yield* lastSeq("head")
      while (seq > 0) {
        const msg = yield* getSeq("head", seq)
        if (msg !== null) {
          const r = yield* read("head", msg)
          if (r._tag === "Entry" && (yield* decided("head", r.entry)) === "committed") return seq
        }
        seq--
      }
      return 0
    })

    /** The stream's messages from a sequence on, through an ordered consumer. */
    /**
     * The stream's messages from a sequence on, through an ordered consumer. The client mends a
     * consumer it loses, but after a stream leader dies it can wait on one placed on the dead
     * node: a reader that hears nothing for a while, with messages beyond what it has seen, fails
     * as stalled, and the caller opens a new consumer where it stopped.
     */
    const messagesFrom = (operation: string, start: number) =>
      Stream.asyncScoped<{ seq: number; subject: string; data: Uint8Array }, Errors.EventLogError>(
        (emit) =>
          Effect.gen(function*() {
            const iter = yield* Effect.acquireRelease(
              call(operation, async () => {
                const consumer = await js.consumers.get(stream, {
                  deliver_policy: DeliverPolicy.StartSequence,
                  opt_start_seq: start
                })
                return consumer.consume()
              }),
              // Not awaited: an ordered consumer that has delivered nothing yet can leave its
              // close pending, and a reader must not hold up the scope that ends it.
              (iter) => Effect.sync(() => void iter.close().catch(() => undefined))
            )
            let seen = start - 1
            let heard = Date.now()
            yield* Effect.forkScoped(
              Effect.gen(function*() {
                for (;;) {
                  yield* Effect.sleep(stallCheck)
                  if (Date.now() - heard < Duration.toMillis(stallCheck)) continue
                  const last = yield* Effect.either(lastSeq(operation))
                  if (Either.isRight(last) && last.right > seen) {
                    yield* Effect.promise(() =>
                      emit.fail(
                        new Errors.EventLogError({
                          operation,
                          detail: `the consumer stalled after sequence ${seen} of ${last.right}`
                        })
                      )
                    )
                    return
                  }
                }
              })
            )
            yield* Effect.forkScoped(
              Effect.tryPromise({
                // Messages go downstream in chunks of what has arrived, so that each stage below
                // runs once per chunk rather than once per event. A chunk goes out when the next
                // message is not there by the end of this turn. Not the iterator's pending count:
                // it counts queued status handlers too, and can stay above zero after the last
                // message, which would hold the tail back.
                try: async () => {
                  const messages = iter[Symbol.asyncIterator]()
                  let chunk: Array<{ seq: number; subject: string; data: Uint8Array }> = []
                  let next = messages.next()
                  for (;;) {
                    const r = await next
                    if (r.done === true) break
                    chunk.push({ seq: r.value.seq, subject: r.value.subject, data: r.value.data })
                    seen = r.value.seq
                    heard = Date.now()
                    next = messages.next()
                    const more = chunk.length < 1024 && await Promise.race([
                      next.then(() => true, () => true),
                      new Promise<boolean>((ok) => setImmediate(() => ok(false)))
                    ])
                    if (!more) {
                      await emit.chunk(Chunk.unsafeFromArray(chunk))
                      // Waiting on a slow reader downstream is not a stall.
                      heard = Date.now()
                      chunk = []
                    }
                  }
                  if (chunk.length > 0) await emit.chunk(Chunk.unsafeFromArray(chunk))
                },
                catch: (cause) =>
                  new Errors.EventLogError({ operation, detail: describe(cause), cause })
              }).pipe(
                Effect.matchEffect({
                  onFailure: (e) => Effect.promise(() => emit.fail(e)),
                  onSuccess: () => Effect.promise(() => emit.end())
                })
              )
            )
          }),
        { bufferSize: 1024, strategy: "suspend" }
      )

    const events = (
      operation: string,
      after: number,
      until: (seq: number) => boolean
    ): Stream.Stream<Event.RecordedEvent, Errors.EventLogError> =>
      Stream.suspend(() => {
        const assembler = Assembler.make()
        let done = after
        // A consumer that fails (stalled, or lost beyond the client's mending) is opened again
        // after the last message taken; the assembler carries on as if nothing had happened.
        const resumed = Stream.suspend(() => messagesFrom(operation, done + 1)).pipe(
          Stream.retry(retryable)
        )
        return resumed.pipe(
          Stream.takeUntil((m) => until(m.seq)),
          Stream.mapChunksEffect((chunk) => {
            const out: Array<Event.RecordedEvent> = []
            for (const m of chunk) {
              const r = read(operation, m)
              if (Either.isLeft(r)) return Effect.fail(r.left)
              done = m.seq
              for (const e of assembler.push(r.right)) out.push(e)
            }
            return Effect.succeed(Chunk.unsafeFromArray(out))
          })
        )
      })

    const readAll: EventLog.EventLogShape["readAll"] = ({ after, limit }) =>
      Stream.unwrap(Effect.map(head, (end) => {
        if (end <= after || (limit !== undefined && limit <= 0)) return Stream.empty
        const all = events("readAll", after, (seq) => seq >= end).pipe(
          Stream.filter((e) => e.position <= end)
        )
        return limit === undefined ? all : Stream.take(all, limit)
      }))

    const subscribe: EventLog.EventLogShape["subscribe"] = (after) =>
      events("subscribe", after, () => false)

    return EventLog.EventLog.of({ append, lookup, readStream, readAll, subscribe, head })
  })

/**
 * The log with a connection of its own, closed when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options & NatsConnection.Options
): Layer.Layer<
  EventLog.EventLog,
  NatsConnection.NatsConnectionError | StreamSetup.StreamMismatch | StreamSetup.StreamSetupError
> =>
  Layer.effect(EventLog.EventLog, make(options)).pipe(Layer.provide(NatsConnection.layer(options)))

/**
 * The log on a connection the host provides, to share one connection across the adapter.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithConnection = (
  options: Options = {}
): Layer.Layer<
  EventLog.EventLog,
  StreamSetup.StreamMismatch | StreamSetup.StreamSetupError,
  NatsConnection.NatsConnection
> => Layer.effect(EventLog.EventLog, make(options))
