import { RequestError, type StreamEnvelope, WireEventName } from '@agentwirejs/client';
import { duration, el, readable, readableJson } from './dom';

/** Reasoning messages shown per run; the rest are counted on one line. */
const MAX_REASONING_SHOWN = 40;

/** What a run card asks of the page: the client's requests, and focus for a form only when the message box is empty. */
export interface RunActions {
  cancel(runId: string): Promise<void>;
  answer(runId: string, interruptId: string, value: unknown): Promise<void>;
  /** True when the person is not typing a message (a new question may take the focus). */
  mayTakeFocus(): boolean;
}

type Payload = Readonly<Record<string, unknown>>;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const record = (value: unknown): Payload => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Payload) : {});
const agentwireMeta = (payload: Payload): Payload => record(record(payload['metadata'])['agentwire']);

interface ToolCallView {
  readonly li: HTMLLIElement;
  readonly args: Text;
  argsText: string;
  readonly result: HTMLSpanElement;
}

interface InterruptForm {
  readonly node: HTMLFormElement;
  readonly question: string;
}

/**
 * One run's card, built from its events as they come (live, replayed after a reconnect, or
 * restored from the replay window after a reload): reasoning, tool calls with readable results,
 * the answer growing delta by delta in one element, the questions the agent asks (a form each),
 * the outcome. The client hands every event once and in order; nothing of a run follows its end.
 */
export class RunCard {
  readonly node: HTMLElement;
  private readonly agent = el('span', { className: 'agent' }, '…');
  private readonly input = el('span', { className: 'input' }, '');
  private readonly status = el('span', { className: 'status', 'data-status': 'running', 'data-testid': 'run-status' }, 'running');
  private readonly cancelButton = el('button', { className: 'secondary small', type: 'button', 'data-testid': 'cancel' }, 'Cancel');
  private readonly timeline = el('ol', { className: 'timeline' });
  private readonly reasoning = new Map<string, Text | null>();
  private readonly answers = new Map<string, { text: Text; node: HTMLElement }>();
  private readonly tools = new Map<string, ToolCallView>();
  private readonly interrupts = new Map<string, InterruptForm>();
  private reasoningShown = 0;
  private reasoningHidden = 0;
  private hiddenCount: Text | null = null;
  private ended = false;

  constructor(
    readonly runId: string,
    private readonly actions: RunActions,
  ) {
    this.cancelButton.onclick = () => {
      this.cancelButton.disabled = true;
      this.actions.cancel(runId).catch((error: unknown) => {
        this.cancelButton.disabled = false;
        this.note(`Cancel failed: ${describe(error)}`, true);
      });
    };
    const head = el('div', { className: 'run-head' }, this.agent, this.input, this.status, this.cancelButton);
    this.node = el('article', { className: 'run', 'data-testid': 'run', 'data-run-id': runId, 'data-outcome': 'running' }, head, this.timeline);
  }

  apply(envelope: StreamEnvelope): void {
    if (this.ended) return;
    const payload = envelope.payload;
    switch (envelope.type) {
      case 'RUN_STARTED': {
        const input = record(payload['input']);
        const props = record(input['forwardedProps']);
        const firstMessage = record((Array.isArray(input['messages']) ? input['messages'] : [])[0]);
        this.agent.textContent = text(props['agent']) ?? 'agent';
        this.input.textContent = readable(props['input'] ?? firstMessage['content'] ?? '');
        break;
      }
      case 'REASONING_MESSAGE_START':
        this.reasoningText(text(payload['messageId']) ?? `${envelope.seq}`);
        break;
      case 'REASONING_MESSAGE_CONTENT':
      case 'REASONING_MESSAGE_CHUNK':
        this.reasoningText(text(payload['messageId']) ?? `${envelope.seq}`)?.appendData(text(payload['delta']) ?? '');
        break;
      case 'TEXT_MESSAGE_START':
        this.answer(text(payload['messageId']) ?? 'answer');
        break;
      case 'TEXT_MESSAGE_CONTENT':
      case 'TEXT_MESSAGE_CHUNK':
        this.answer(text(payload['messageId']) ?? 'answer').text.appendData(text(payload['delta']) ?? '');
        break;
      case 'TEXT_MESSAGE_END':
        this.answer(text(payload['messageId']) ?? 'answer').node.dataset['state'] = 'complete';
        break;
      case 'TOOL_CALL_START':
        this.toolCall(text(payload['toolCallId']) ?? '', text(payload['toolCallName']));
        break;
      case 'TOOL_CALL_ARGS': {
        const call = this.toolCall(text(payload['toolCallId']) ?? '');
        call.argsText += text(payload['delta']) ?? '';
        call.args.data = call.argsText;
        break;
      }
      case 'TOOL_CALL_END': {
        const call = this.toolCall(text(payload['toolCallId']) ?? '');
        call.args.data = readableJson(call.argsText);
        break;
      }
      case 'TOOL_CALL_RESULT': {
        const meta = agentwireMeta(payload);
        const call = this.toolCall(text(payload['toolCallId']) ?? '', text(meta['tool_name']));
        const success = meta['success'] !== false;
        call.li.classList.toggle('failed', !success);
        call.li.dataset['testid'] = 'event-tool-completed';
        call.result.className = 'result';
        const took = typeof meta['duration_ms'] === 'number' ? `  (${duration(meta['duration_ms'])})` : '';
        call.result.textContent = `${success ? '→' : '✗'} ${readableJson(text(payload['content']) ?? '')}${took}`;
        break;
      }
      case 'CUSTOM':
        this.custom(payload);
        break;
      case 'RUN_FINISHED':
        this.finished(payload);
        break;
      case 'RUN_ERROR':
        this.node.append(el('div', { className: 'final error', 'data-testid': 'run-error' }, `${text(payload['code']) ?? 'error'}: ${text(payload['message']) ?? ''}`));
        this.finish('error', 'failed');
        break;
    }
  }

  private custom(payload: Payload): void {
    const name = payload['name'];
    const value = record(payload['value']);
    if (name === WireEventName.Interrupt) {
      const id = text(value['id']);
      if (id !== undefined && !this.interrupts.has(id)) this.interrupts.set(id, this.interruptForm(id, value));
    } else if (name === WireEventName.InterruptResolved) {
      const id = text(value['interruptId']) ?? '';
      const form = this.interrupts.get(id);
      this.interrupts.delete(id);
      form?.node.remove();
      this.item('question', 'meta', `${form?.question ?? 'A question'} → ${text(value['status']) ?? 'resolved'}`);
    }
  }

  private finished(payload: Payload): void {
    const meta = agentwireMeta(payload);
    if (record(payload['outcome'])['type'] === 'cancelled') {
      const reason = text(meta['reason']);
      if (reason !== undefined) this.node.append(el('div', { className: 'meta', 'data-testid': 'run-cancelled' }, reason));
      this.finish('cancelled', 'cancelled');
      return;
    }
    // an agent that returned its answer without streaming it: shown whole
    const result = text(payload['result']);
    if (this.answers.size === 0 && result !== undefined) {
      const entry = this.answer('result');
      entry.text.data = result;
      entry.node.dataset['state'] = 'complete';
    }
    const facts = [
      typeof meta['event_count'] === 'number' ? `${meta['event_count']} events` : null,
      typeof meta['duration_ms'] === 'number' ? duration(meta['duration_ms']) : null,
    ].filter((fact) => fact !== null);
    if (facts.length > 0) this.node.append(el('div', { className: 'meta' }, facts.join(' · ')));
    this.finish('completed', 'completed');
  }

  private finish(outcome: string, label: string): void {
    this.ended = true;
    this.node.dataset['outcome'] = outcome;
    this.status.dataset['status'] = outcome;
    this.status.textContent = label;
    this.cancelButton.remove();
    for (const entry of this.answers.values()) if (entry.node.dataset['state'] === 'streaming') entry.node.dataset['state'] = 'cut';
    for (const form of this.interrupts.values()) form.node.remove();
    this.interrupts.clear();
  }

  private note(message: string, error = false): void {
    this.node.append(el('div', { className: error ? 'meta error' : 'meta' }, message));
  }

  private item(kind: string, className: string, ...children: (Node | string)[]): HTMLLIElement {
    const li = el('li', { className, 'data-testid': `event-${kind}` }, el('span', { className: 'kind' }, kind), ...children);
    this.timeline.append(li);
    return li;
  }

  /** The reasoning message `id`'s text, created on first sight; beyond MAX_REASONING_SHOWN only counted (null). */
  private reasoningText(id: string): Text | null {
    const known = this.reasoning.get(id);
    if (known !== undefined) return known;
    let entry: Text | null = null;
    if (this.reasoningShown < MAX_REASONING_SHOWN) {
      this.reasoningShown += 1;
      entry = document.createTextNode('');
      this.item('thinking', 'thinking', el('span', { className: 'text' }, entry));
    } else {
      this.reasoningHidden += 1;
      if (this.hiddenCount === null) {
        this.hiddenCount = document.createTextNode('');
        this.item('thinking', 'thinking meta', this.hiddenCount);
      }
      this.hiddenCount.data = `+ ${this.reasoningHidden.toLocaleString('en')} more reasoning messages`;
    }
    this.reasoning.set(id, entry);
    return entry;
  }

  /** The answer (text message) `id`: one element whose text grows delta by delta. */
  private answer(id: string): { text: Text; node: HTMLElement } {
    const known = this.answers.get(id);
    if (known !== undefined) return known;
    const content = document.createTextNode('');
    const node = el('div', { className: 'final', 'data-testid': 'answer', 'data-state': 'streaming', 'data-message-id': id }, content);
    this.node.insertBefore(node, [...this.interrupts.values()][0]?.node ?? null);
    const entry = { text: content, node };
    this.answers.set(id, entry);
    return entry;
  }

  /** The tool call `id`: its name, its arguments as they stream, then its result. */
  private toolCall(id: string, name?: string): ToolCallView {
    const known = this.tools.get(id);
    if (known !== undefined) return known;
    const args = document.createTextNode('');
    const result = el('span', { className: 'result meta' }, 'running…');
    const li = this.item('tool', 'tool', el('code', {}, name ?? 'tool'), ' ', el('code', {}, args), result);
    const call = { li, args, argsText: '', result };
    this.tools.set(id, call);
    return call;
  }

  /** The form that answers a question: one input per string/number property of its response schema (or one free text). */
  private interruptForm(id: string, interrupt: Payload): InterruptForm {
    const schema = record(interrupt['responseSchema']);
    const properties = schema['type'] === 'object' && typeof schema['properties'] === 'object' && schema['properties'] !== null ? Object.entries(record(schema['properties'])) : null;
    const required = new Set(Array.isArray(schema['required']) ? schema['required'].filter((name): name is string => typeof name === 'string') : []);
    const fields = (properties ?? [['answer', { type: 'string' }] as const]).map(([name, raw]) => {
      const property = record(raw);
      const numeric = property['type'] === 'number' || property['type'] === 'integer';
      const input = el('input', { type: numeric ? 'number' : 'text', name, autocomplete: 'off', 'data-testid': 'interrupt-input' });
      input.required = properties === null || required.has(name);
      if (typeof property['maxLength'] === 'number') input.maxLength = property['maxLength'];
      const description = text(property['description']);
      if (description !== undefined) input.placeholder = description;
      return { name, input, numeric, label: el('label', {}, el('span', { className: 'meta' }, name), input) };
    });
    const submit = el('button', { type: 'submit', 'data-testid': 'interrupt-submit' }, 'Answer');
    const error = el('p', { className: 'error', 'data-testid': 'interrupt-error', role: 'alert' });
    error.hidden = true;
    const expiresAt = text(interrupt['expiresAt']);
    const expiry = expiresAt !== undefined ? el('span', { className: 'meta' }, `answer by ${new Date(expiresAt).toLocaleTimeString()}`) : '';
    const question = text(interrupt['message']) ?? text(interrupt['reason']) ?? 'The agent asks:';
    const node = el(
      'form',
      { className: 'interrupt', 'data-testid': 'interrupt', 'data-interrupt-id': id, autocomplete: 'off' },
      el('p', { className: 'question', 'data-testid': 'interrupt-message' }, question),
      el('div', { className: 'fields' }, ...fields.map((field) => field.label), submit, expiry),
      error,
    );
    node.onsubmit = (event) => {
      event.preventDefault();
      const value =
        properties === null
          ? fields[0]?.input.value
          : Object.fromEntries(
              fields.filter((field) => field.input.value !== '' || required.has(field.name)).map((field) => [field.name, field.numeric ? Number(field.input.value) : field.input.value]),
            );
      error.hidden = true;
      submit.disabled = true;
      // The form leaves when agentwire.interrupt_resolved comes (from whichever tab answered); a refusal keeps it, with the reason.
      this.actions.answer(this.runId, id, value).catch((failure: unknown) => {
        error.textContent = describe(failure);
        error.hidden = false;
        submit.disabled = false;
      });
    };
    this.node.append(node);
    if (this.actions.mayTakeFocus()) fields[0]?.input.focus({ preventScroll: true });
    return { node, question };
  }
}

/** A failed request as `code: message`. */
export function describe(error: unknown): string {
  if (error instanceof RequestError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
