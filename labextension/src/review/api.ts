// The review API over Jupyter's own connection settings: ServerConnection adds the token and
// the XSRF header, so every request is authenticated as the rest of JupyterLab's are.

import { ServerConnection } from '@jupyterlab/services';
import type { ApiError } from './types';

/** Where the API lives under the server's base URL. */
export const API_PATH = 'qrp/review/api';

/** A refusal of the API, with the server's one-line message, where and how to fix it. */
export class ReviewApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError
  ) {
    super(error.message);
  }
}

export type Params = Record<string, string | null | undefined>;

/** The URL of an endpoint with its query (empty values left out). */
export function endpointUrl(baseUrl: string, endpoint: string, params: Params = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') {
      query.set(key, value);
    }
  }
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const text = query.toString();
  return `${base}${API_PATH}/${endpoint}${text ? `?${text}` : ''}`;
}

export class ReviewApi {
  constructor(private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  /** GET one endpoint; a refusal becomes a ReviewApiError with the server's message. */
  async get<T>(endpoint: string, params: Params = {}): Promise<T> {
    const url = endpointUrl(this.settings.baseUrl, endpoint, params);
    const response = await ServerConnection.makeRequest(url, { method: 'GET' }, this.settings);
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = (body as { error?: ApiError } | null)?.error;
      throw new ReviewApiError(response.status, error ?? {
        message: `the review API answered ${response.status} ${response.statusText} to ${endpoint}`
      });
    }
    return body as T;
  }
}
