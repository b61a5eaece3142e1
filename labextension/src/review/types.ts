// The answers of the review API (server_ext/qrp_review, qrp_jupyter/review/queries.py is the
// source of truth; docs/review-api.md lists every field). Only the fields the panel reads.

export interface ApiError {
  message: string;
  what?: string | null;
  where?: string | null;
  fix?: string | null;
}

export interface Status {
  state: 'ok' | 'problems' | 'unchecked';
  problems?: number;
  fix?: string;
}

export interface Integrity {
  verify: Status;
  chain: Status;
  ledger: Status;
  cached: boolean;
}

export interface StoreEntry {
  path: string;
  size: number;
}

export interface Stores {
  stores: StoreEntry[];
  truncated: boolean;
}

export interface Summary extends Integrity {
  db: string;
  counts: Record<string, number>;
  candidates_by_status: Record<string, number>;
  ledger_head: { block_seq: number; digest: string; created_at: string } | null;
}

export interface Page<T> {
  items: T[];
  next: string | null;
  total: number;
  limit: number;
}

/** A row of the runs listing (the review API's `runs`). */
export interface RunRow {
  run_key: string;
  name: string | null;
  family: string | null;
  dataset_id_v2: string;
  engine_version: string;
  created_at: string;
  trials: number;
  best_sharpe_annual: number | null;
  instances: number;
  replays: number;
}

export interface LastReport {
  eligibility_report_id: string;
  level: string;
  passed: boolean;
  created_at: string;
  blockers: string[];
  warnings: string[];
}

export interface Candidate {
  candidate_id: string;
  status: string;
  run_key: string;
  trial_index: number;
  params: Record<string, unknown>;
  sharpe_annual: number | null;
  family: string | null;
  run_name: string | null;
  eligibility_report_id: string | null;
  reports: number;
  last_report: LastReport | null;
  blockers: string[];
}

export interface ReportSummary {
  eligibility_report_id: string;
  level: string;
  passed: boolean;
  created_at: string;
  blockers: string[];
  warnings: string[];
}

export interface CandidateDetail {
  candidate: Candidate;
  reports: ReportSummary[];
  events: GovEvent[];
}

export interface RuleArtifact {
  artifact_id: string;
  media_type: string;
  size: number;
  lineage: { kind: string; role: string; run_instance_id: string | null; eligibility_report_id: string | null }[];
}

export interface Rule {
  rule: string;
  metric: string;
  value: unknown;
  op: string;
  threshold: unknown;
  verdict: string;
  severity: string;
  scope?: string;
  artifact_id?: string;
  artifact: RuleArtifact | null;
}

export interface Report {
  eligibility_report_id: string;
  candidate_id: string;
  level: string;
  passed: boolean;
  policy: { name: string; version: number } | null;
  blockers: string[];
  warnings: string[];
  rules: Rule[];
}

export interface GovEvent {
  seq: number;
  kind: string;
  candidate_id: string | null;
  created_at: string;
  event_hash: string;
  prev_hash: string;
  payload: Record<string, unknown> | null;
  hash_ok: boolean;
  link_ok?: boolean;
}

export interface Events extends Page<GovEvent>, Integrity {
  order: 'asc' | 'desc';
}

export interface VerifyResult {
  cached: boolean;
  verify: { ok: boolean; problems: { table: string; row: string; problem: string }[]; text: string };
  chain: { state: string; problems: unknown[] };
  ledger: { state: string; problems: unknown[] };
}
