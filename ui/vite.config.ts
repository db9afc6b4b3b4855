/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// React without the React plugin: esbuild compiles JSX with the automatic runtime; fast refresh is
// not needed because the app is built, not served, inside the Tauri window.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  clearScreen: false,
  build: { target: "safari15", outDir: "dist", emptyOutDir: true },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
});
