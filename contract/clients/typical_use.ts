// What a team writes against the API with openapi-fetch and the types openapi-typescript
// generates from the live document (build/typescript/schema.d.ts, never committed): sign in,
// upload a model, predict, page through models, and handle a problem. It is type-checked
// with `tsc --noEmit --strict` (tests/contract/test_typed_clients.py): written the way a
// user would, with no casts or `!`, so a field the document leaves optional or untyped
// when the API always sends it shows up as a compile error here.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./build/typescript/schema";

type Api = Client<paths>;
export type Problem = components["schemas"]["Problem"];
export type ModelRecord = components["schemas"]["ModelRecord"];

/** A problem details answer (RFC 9457), raised so that callers branch on its `code`. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.problem = problem;
  }
}

/** Signs in and answers a client that sends the access token with every request. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<Api> {
  const anonymous = createClient<paths>({ baseUrl });
  const { data, error } = await anonymous.POST("/api/v1/auth/login", {
    body: { username, password },
  });
  if (error) throw new ProblemError(error);
  const token: string = data.access_token;
  const bearer: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  const api = createClient<paths>({ baseUrl });
  api.use(bearer);
  return api;
}

/** Uploads a skops file as a new private model; answers its id. */
export async function uploadModel(api: Api, name: string, file: Blob): Promise<number> {
  const { data, error } = await api.POST("/api/v1/models", {
    body: { name, model_type: "sklearn", file, visibility: "private" },
    bodySerializer(fields) {
      const form = new FormData();
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) form.append(key, value);
      }
      return form;
    },
  });
  if (error) throw new ProblemError(error);
  return data.id;
}

export interface Prediction {
  id: number;
  value: unknown;
  modelVersion: number;
}

/** One prediction from a model, by the model's id. */
export async function predict(api: Api, modelId: number, features: number[]): Promise<Prediction> {
  const { data, error } = await api.POST("/api/v1/models/{model_id}/predict", {
    params: { path: { model_id: modelId } },
    body: { features },
  });
  if (error) throw new ProblemError(error);
  return { id: data.prediction_id, value: data.prediction, modelVersion: data.model_version };
}

/** Every model the user may use, one page after the other. */
export async function* allModels(api: Api, perPage = 100): AsyncGenerator<ModelRecord> {
  for (let page = 1; ; page += 1) {
    const { data, error } = await api.GET("/api/v1/models", {
      params: { query: { page, per_page: perPage } },
    });
    if (error) throw new ProblemError(error);
    yield* data.items;
    if (page >= data.pages) return;
  }
}

/** A prediction, or what to tell the user when the API refuses it. */
export async function predictOrExplain(
  api: Api, modelId: number, features: number[],
): Promise<Prediction | string> {
  try {
    return await predict(api, modelId, features);
  } catch (caught) {
    if (!(caught instanceof ProblemError)) throw caught;
    const problem = caught.problem;
    switch (problem.code) {
      case "validation_error": {
        const fields = Object.entries(problem.errors ?? {})
          .map(([field, messages]) => `${field}: ${messages.join(" ")}`);
        return `${problem.title}: ${fields.join("; ")}`;
      }
      case "not_found":
        return `model ${modelId} does not exist (${problem.status})`;
      default:
        return problem.detail;
    }
  }
}

export async function typicalUse(baseUrl: string, username: string, password: string,
                                 model: Blob): Promise<string[]> {
  const api = await signIn(baseUrl, username, password);
  const modelId = await uploadModel(api, "typed-client-example", model);
  const first = await predict(api, modelId, [0.1, 0.2]);
  const names: string[] = [];
  for await (const record of allModels(api)) names.push(`${record.name} v${record.version}`);
  const refused = await predictOrExplain(api, modelId, []);
  return [`prediction ${first.id}: ${String(first.value)}`, ...names, String(refused)];
}
