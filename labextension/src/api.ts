// The labextension's only way to the prefect_jupyter API server: GraphQL through the Jupyter
// server extension at <base_url>/prefect-jupyter/ (Jupyter adds its token and XSRF header).
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error to show in a panel: the server extension's or the API server's own message. */
export class ApiError extends Error {
  /** "NO_SERVER" when no API server answers, else the GraphQL/HTTP error code if any. */
  readonly code: string | null;

  constructor(message: string, code: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

interface IGraphQLError {
  message?: string;
  extensions?: { code?: string };
}

/** What GET /prefect-jupyter/status answers. */
export interface IStatus {
  ok: boolean;
  server_url: string;
  graphql_url: string;
  version: string | null;
  database: string | null;
  message: string | null;
}

function endpoint(...parts: string[]): [string, ServerConnection.ISettings] {
  const settings = ServerConnection.makeSettings();
  return [URLExt.join(settings.baseUrl, 'prefect-jupyter', ...parts), settings];
}

async function readJson(response: Response): Promise<any> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(
      `The Jupyter server answered HTTP ${response.status} without JSON: is the ` +
        'prefect_jupyter server extension enabled? Check `jupyter server extension list`.'
    );
  }
}

function firstError(body: any): ApiError | null {
  const errors: IGraphQLError[] | undefined = body?.errors;
  if (!errors || !errors.length) {
    return null;
  }
  const messages = errors.map(e => e.message || 'unknown error');
  return new ApiError(messages.join('\n'), errors[0].extensions?.code ?? null);
}

/** Send one GraphQL request; resolves to its `data`, rejects with an ApiError. */
export async function graphql<T = any>(
  query: string,
  variables: Record<string, unknown> = {}
): Promise<T> {
  const [url, settings] = endpoint('graphql');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'POST', body: JSON.stringify({ query, variables }) },
      settings
    );
  } catch (err) {
    throw new ApiError(`Cannot reach the Jupyter server: ${err}`, 'NETWORK');
  }
  const body = await readJson(response);
  const error = firstError(body);
  if (error) {
    throw error;
  }
  if (!response.ok) {
    throw new ApiError(`HTTP ${response.status} from ${url}`);
  }
  return body.data as T;
}

/** Where the server extension forwards to, and whether an API server answers there. */
export async function status(): Promise<IStatus> {
  const [url, settings] = endpoint('status');
  const response = await ServerConnection.makeRequest(url, { method: 'GET' }, settings);
  return (await readJson(response)) as IStatus;
}
