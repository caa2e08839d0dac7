import { parentPort, workerData } from 'node:worker_threads';
import { openPreparedSqlite } from '../database/open_database';
import { MetadataStore } from '../store/metadata_store';
import { decodeRequest, encodeResponse } from '../store/wire_encoded';
import type { TenancyDenial } from '../store/tenancy/tenancy_scope';
import { CancelSlot } from './cancel_slot';
import { errorToData, RecordingObserver, type AnswerMessage, type CallMessage, type FromThread, type StoreThreadSettings, type ToThread } from './thread_messages';

/**
 * A store thread (see store_threads.ts): its own synchronous better-sqlite3 connection on the
 * prepared file and its own MetadataStore, serving one whole RPC at a time. Statements run
 * here without crossing a thread; only the request and the answer do.
 */

interface Current {
  seq: number;
  controller: AbortController;
}

async function serveThread(settings: StoreThreadSettings): Promise<void> {
  const port = parentPort!;
  const send = (message: FromThread) => port.postMessage(message, message.type === 'answer' && message.encoded ? [message.encoded.buffer as ArrayBuffer] : undefined);
  const observer = new RecordingObserver();
  const slot = new CancelSlot(settings.cancelSlot);
  let store: MetadataStore;
  try {
    const db = await openPreparedSqlite(settings.config, { schemaVersion: settings.schemaVersion, timeouts: settings.timeouts }, observer);
    store = new MetadataStore(db);
    let current: Current | undefined;
    const checkCancelled = () => {
      if (!current || current.controller.signal.aborted) return;
      const reason = slot.reasonFor(current.seq);
      if (reason) current.controller.abort(reason);
    };
    // Before every statement: the runner, told by the signal, refuses this one and rolls back.
    db.knex.on('query', checkCancelled);
    port.on('message', (message: ToThread) => {
      if (message.type === 'cancel') {
        checkCancelled();
        return;
      }
      current = { seq: message.seq, controller: new AbortController() };
      void answer(store, message, current.controller.signal, observer).then((reply) => {
        current = undefined;
        try {
          send(reply);
        } catch (e) {
          // A response that cannot be cloned is our bug: the caller still gets an answer.
          send({ type: 'answer', seq: reply.seq, error: errorToData(e), events: reply.events, denials: reply.denials });
        }
      });
    });
  } catch (e) {
    send({ type: 'open_failed', error: errorToData(e) });
    return;
  }
  // The opening statement is not a call's: it is not reported.
  observer.take();
  send({ type: 'ready' });
}

async function answer(store: MetadataStore, message: CallMessage, signal: AbortSignal, observer: RecordingObserver): Promise<AnswerMessage> {
  const denials: TenancyDenial[] = [];
  const tenancy = message.tenancy ? { ...message.tenancy, onDenial: (d: TenancyDenial) => void denials.push(d) } : undefined;
  try {
    const response = await store.call(message.method, decodeRequest(message.method, message.request as never), { signal, tenancy });
    if (message.wireEncoded) return { type: 'answer', seq: message.seq, encoded: encodeResponse(message.method, response), events: observer.take(), denials };
    return { type: 'answer', seq: message.seq, response, events: observer.take(), denials };
  } catch (e) {
    return { type: 'answer', seq: message.seq, error: errorToData(e), events: observer.take(), denials };
  }
}

void serveThread(workerData as StoreThreadSettings);
