// The review panel: a side panel over one store chosen by the reviewer, read through the
// review API (GET only, Jupyter's authentication). Sections: the summary with the verify,
// chain and ledger status; the candidates with their blockers (paged); the selected
// candidate's reports, a report's rules, its lineage DAG (QRP's lineage renderer); the runs,
// oldest first (paged), each opening its lineage; the governance log, newest first (paged);
// and verify on demand. With one store under the root, it opens without a choice.

import { Widget } from '@lumino/widgets';
import { el } from '../render/dom';
import { renderPayload, Rendered } from '../render';
import { ReviewApi } from './api';
import type {
  Candidate, CandidateDetail, Events, Page, Report, RunRow, Stores, Summary, VerifyResult
} from './types';
import {
  candidateView, candidatesTable, errorView, eventsTable, integrityLine, reportView, runsTable,
  summaryView, verifyView
} from './view';

const PAGE = '50';

/** A paged listing: the cursors of the pages before this one, so "previous" works too. */
class Pager {
  private cursors: (string | null)[] = [null];
  next: string | null = null;

  get current(): string | null {
    return this.cursors[this.cursors.length - 1];
  }
  get hasPrevious(): boolean {
    return this.cursors.length > 1;
  }
  forward(): void {
    if (this.next) {
      this.cursors.push(this.next);
    }
  }
  back(): void {
    if (this.cursors.length > 1) {
      this.cursors.pop();
    }
  }
  reset(): void {
    this.cursors = [null];
    this.next = null;
  }
}

export class ReviewPanel extends Widget {
  private db: string | null = null;
  private readonly select = el('select', { class: 'qrp-review-store', 'aria-label': 'QRP store' });
  private readonly summaryBox = el('div', { class: 'qrp-review-box' });
  private readonly candidatesBox = el('div', { class: 'qrp-review-box' });
  private readonly runsBox = el('div', { class: 'qrp-review-box' });
  private readonly detailBox = el('div', { class: 'qrp-review-box' });
  private readonly eventsBox = el('div', { class: 'qrp-review-box' });
  private readonly verifyBox = el('div', { class: 'qrp-review-box' });
  private readonly candidatePages = new Pager();
  private readonly runPages = new Pager();
  private readonly eventPages = new Pager();
  private lineage: Rendered | null = null;
  /** The last request of each box (a counter), so that only its answer is drawn there. */
  private readonly latest = new WeakMap<HTMLElement, number>();
  private asked = 0;

  constructor(private readonly api: ReviewApi = new ReviewApi()) {
    super();
    this.id = 'qrp-review-panel';
    this.addClass('qrp-review');
    this.title.label = 'QRP review';
    this.title.caption = 'QRP review: candidates, reports, governance log, verify (read-only)';
    this.title.closable = true;
    const reload = el('button', { class: 'qrp-review-button' }, 'refresh');
    reload.addEventListener('click', () => void this.refreshStores());
    const verify = el('button', { class: 'qrp-review-button' }, 'verify now');
    verify.addEventListener('click', () => void this.runVerify());
    this.select.addEventListener('change', () => void this.open(this.select.value || null));
    this.node.append(
      el('div', { class: 'qrp-review-bar' }, this.select, reload, verify),
      this.summaryBox,
      el('h3', {}, 'Candidates'), this.candidatesBox,
      this.detailBox,
      el('h3', {}, 'Runs (oldest first)'), this.runsBox,
      el('h3', {}, 'Governance log (newest first)'), this.eventsBox,
      this.verifyBox);
  }

  /** The store shown now (a path relative to the server root). */
  get store(): string | null {
    return this.db;
  }

  /** List the stores under the server root and open ``path`` (or keep the current one).
   * A store the reviewer opens while the list is on its way is kept: the list arriving
   * later neither resets the choice nor clears the store's view. */
  async refreshStores(path: string | null = this.db): Promise<void> {
    const asked = this.db;
    let answer: Stores;
    try {
      answer = await this.api.get<Stores>('stores');
    } catch (err) {
      if (this.db === asked) {
        this.summaryBox.replaceChildren(errorView(err as Error));
        if (path) {
          await this.open(path); // the store asked for by name may still open (or say why not)
        }
      }
      return;
    }
    const chosenMeanwhile = this.db !== asked;
    if (chosenMeanwhile) {
      path = this.db;
    }
    const paths = answer.stores.map(s => s.path);
    if (path && !paths.includes(path)) {
      paths.unshift(path);
    }
    if (!path && paths.length === 1) {
      path = paths[0]; // the only store under the root: nothing to choose
    }
    this.select.replaceChildren(el('option', { value: '' }, 'choose a store'),
      ...paths.map(p => el('option', { value: p, selected: p === path }, p)));
    this.select.value = path ?? '';
    if (!chosenMeanwhile && (path !== this.db || path)) {
      await this.open(path);
    }
  }

  /** Show the store at ``path`` (relative to the server root). */
  async open(path: string | null): Promise<void> {
    this.db = path;
    this.select.value = path ?? '';
    this.candidatePages.reset();
    this.runPages.reset();
    this.eventPages.reset();
    this.clearDetail();
    // Answers still on their way for the store shown before are not drawn over this one.
    for (const box of [this.summaryBox, this.candidatesBox, this.runsBox, this.eventsBox, this.verifyBox]) {
      this.clear(box);
    }
    if (!path) {
      this.summaryBox.replaceChildren(el('p', {}, 'Choose a store (a .sqlite file under the folder Jupyter serves).'));
      return;
    }
    await Promise.all([this.loadSummary(), this.loadCandidates(), this.loadRuns(), this.loadEvents()]);
    void this.checkInBackground(path);
  }

  /** Verify the store (the server remembers the result per state of the file), then show
   * the status it gives; the listings are already drawn meanwhile. */
  private async checkInBackground(path: string): Promise<void> {
    try {
      await this.api.get<VerifyResult>('verify', { db: path });
    } catch {
      return; // the summary already shows why the store cannot be read
    }
    if (this.db === path) {
      await Promise.all([this.loadSummary(), this.loadEvents()]);
    }
  }

  /** Draw ``request``'s answer (or its refusal) in ``box``, unless the box has been asked
   * for again meanwhile (another page, another store) or is no longer in the panel (another
   * candidate or run opened): a late answer never overwrites a newer view, and ``draw``'s
   * side effects (a pager's cursor, the current lineage renderer) happen only when drawn. */
  private async fill<T>(box: HTMLElement, request: Promise<T>, draw: (answer: T) => Node): Promise<void> {
    const token = ++this.asked;
    this.latest.set(box, token);
    box.setAttribute('aria-busy', 'true');
    const current = () => this.latest.get(box) === token && this.node.contains(box);
    try {
      const answer = await request;
      if (current()) {
        box.replaceChildren(draw(answer));
      }
    } catch (err) {
      if (current()) {
        box.replaceChildren(errorView((err as { error?: Error }).error ?? (err as Error)));
      }
    } finally {
      if (current()) {
        box.removeAttribute('aria-busy');
      }
    }
  }

  /** Empty ``box`` and drop any answer still on its way to it. */
  private clear(box: HTMLElement): void {
    this.latest.set(box, ++this.asked);
    box.removeAttribute('aria-busy');
    box.replaceChildren();
  }

  private loadSummary(): Promise<void> {
    return this.fill(this.summaryBox, this.api.get<Summary>('summary', { db: this.db }), summaryView);
  }

  private pagerBar(pager: Pager, total: number, reload: () => void): HTMLElement {
    const prev = el('button', { class: 'qrp-review-button', disabled: !pager.hasPrevious }, 'previous');
    const next = el('button', { class: 'qrp-review-button', disabled: !pager.next }, 'next');
    prev.addEventListener('click', () => { pager.back(); reload(); });
    next.addEventListener('click', () => { pager.forward(); reload(); });
    return el('div', { class: 'qrp-review-pager' }, prev, next, ` ${total} in all`);
  }

  private loadCandidates(): Promise<void> {
    const pager = this.candidatePages;
    return this.fill(this.candidatesBox,
      this.api.get<Page<Candidate>>('candidates', { db: this.db, limit: PAGE, cursor: pager.current }),
      page => {
        pager.next = page.next;
        return el('div', {}, candidatesTable(page, id => void this.openCandidate(id)),
          this.pagerBar(pager, page.total, () => void this.loadCandidates()));
      });
  }

  private loadRuns(): Promise<void> {
    const pager = this.runPages;
    return this.fill(this.runsBox,
      this.api.get<Page<RunRow>>('runs', { db: this.db, limit: PAGE, cursor: pager.current }),
      page => {
        pager.next = page.next;
        return el('div', {}, runsTable(page, key => void this.openRun(key)),
          this.pagerBar(pager, page.total, () => void this.loadRuns()));
      });
  }

  private loadEvents(): Promise<void> {
    const pager = this.eventPages;
    return this.fill(this.eventsBox,
      this.api.get<Events>('events', { db: this.db, limit: PAGE, order: 'desc', cursor: pager.current }),
      page => {
        pager.next = page.next;
        return el('div', {}, integrityLine(page), eventsTable(page.items),
          this.pagerBar(pager, page.total, () => void this.loadEvents()));
      });
  }

  private clearDetail(): void {
    this.lineage?.dispose();
    this.lineage = null;
    this.detailBox.replaceChildren();
  }

  /** Show one candidate: its reports, its events, and buttons for a report and the DAG. */
  async openCandidate(id: string): Promise<void> {
    this.clearDetail();
    const reportBox = el('div', { class: 'qrp-review-box' });
    const dagBox = el('div', { class: 'qrp-review-box qrp-review-dag' });
    const head = el('div', { class: 'qrp-review-box' });
    this.detailBox.append(head, reportBox, dagBox);
    await this.fill(head, this.api.get<CandidateDetail>(`candidates/${encodeURIComponent(id)}`, { db: this.db }),
      detail => candidateView(detail,
        rid => void this.fill(reportBox, this.api.get<Report>(`reports/${encodeURIComponent(rid)}`, { db: this.db }), reportView),
        cid => void this.showLineage(dagBox, cid)));
  }

  /** Show one run's lineage DAG in the detail area. */
  async openRun(runKey: string): Promise<void> {
    this.clearDetail();
    const dagBox = el('div', { class: 'qrp-review-box qrp-review-dag' });
    this.detailBox.append(el('h3', {}, `Lineage of run ${runKey.slice(0, 12)}`), dagBox);
    await this.showLineage(dagBox, runKey);
    this.detailBox.scrollIntoView?.({ block: 'nearest' });
  }

  private showLineage(box: HTMLElement, id: string): Promise<void> {
    return this.fill(box, this.api.get<{ lineage: unknown }>(`lineage/${encodeURIComponent(id)}`, { db: this.db }),
      answer => {
        this.lineage?.dispose();
        this.lineage = renderPayload('application/vnd.qrp.lineage+json', answer.lineage);
        return this.lineage.element;
      });
  }

  /** Run verify on the whole store now, then show the status it gives everywhere. */
  async runVerify(): Promise<void> {
    if (!this.db) {
      return;
    }
    const db = this.db;
    this.verifyBox.replaceChildren(el('p', {}, 'verifying the whole store...'));
    await this.fill(this.verifyBox, this.api.get<VerifyResult>('verify', { db, fresh: '1' }), verifyView);
    if (this.db === db) {
      await Promise.all([this.loadSummary(), this.loadEvents()]);
    }
  }

  dispose(): void {
    this.lineage?.dispose();
    super.dispose();
  }
}
