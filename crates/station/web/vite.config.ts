// The staff pages, built into dist/ and compiled into the station binary (src/api/pages.rs): one
// script and one stylesheet under fixed names, so the station serves them without a manifest, and
// nothing inline, so the station's content security policy (script-src 'self') holds.
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    // One script for every page, ECharts included (about 500 kB, 180 kB compressed), served from
    // the station on the local network: no reason to split it.
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      output: {
        entryFileNames: "staff/app.js",
        assetFileNames: (asset) => (asset.names[0]?.endsWith(".css") ? "staff/style.css" : "staff/[name][extname]"),
        inlineDynamicImports: true,
      },
    },
  },
  server: { fs: { allow: ["../../.."] } },
});
