// A minimal third-party client of the NexFitra API, written against the generated types only.
// `tsc --noEmit` fails if the OpenAPI document stops describing what this code relies on.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api";

type UserOut = components["schemas"]["UserOut"];
type LogCreate = components["schemas"]["LogCreate"];

export async function demo(baseUrl: string, email: string, password: string): Promise<string> {
  const api = createClient<paths>({ baseUrl });

  const login = await api.POST("/api/v1/auth/login", { body: { email, password } });
  if (!login.data) throw new Error(`login failed: ${login.response.status}`);
  const headers = { Authorization: `Bearer ${login.data.access_token}` };
  const refresh: string = login.data.refresh_token;

  const me = await api.GET("/api/v1/users/me", { headers });
  const user: UserOut | undefined = me.data;

  await api.PUT("/api/v1/goals", {
    headers,
    body: { kcal: 2200, protein_g: 140, carbs_g: 250, fat_g: 70 },
  });

  const entry: LogCreate = {
    meal_type: "breakfast",
    description: "2 eggs and toast",
    kcal: 320,
    protein_g: 18,
    carbs_g: 24,
    fat_g: 14,
  };
  const created = await api.POST("/api/v1/logs", { headers, body: entry });
  const day: string | undefined = created.data?.date;

  const summary = await api.GET("/api/v1/summaries/daily", {
    headers,
    params: { query: { date: day } },
  });
  const kcal: number | undefined = summary.data?.totals.kcal;

  const page = await api.GET("/api/v1/logs", { headers, params: { query: { limit: 10 } } });
  const descriptions: string[] = (page.data?.items ?? []).map((item) => item.description);

  return `${user?.email} ${refresh.length} ${kcal} ${descriptions.join(", ")}`;
}
