// The screens and how to get to them. A plain state value (no URL router): the app is one window.
export type Route =
  | { name: "today" }
  | { name: "households" }
  | { name: "household"; id: string }
  | { name: "visit"; householdId: string; draftId?: string }
  | { name: "work" }
  | { name: "import" }
  | { name: "settings" };

export type Navigate = (route: Route) => void;
