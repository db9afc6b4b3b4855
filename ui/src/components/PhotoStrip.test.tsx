// The photo strip's promises, in jsdom with the shell's commands replaced by spies: files dropped on
// it are attached one by one, and one the core refuses is named with its reason in Chinese while the
// others are attached all the same; a confidential concern's photo shows as withheld, never fetched.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import "../i18n";
import { CommandError } from "../api";
import type { PhotoEntry } from "../bindings/PhotoEntry";

const api = vi.hoisted(() => ({
  photosOf: vi.fn(),
  photoAttach: vi.fn(),
  photoImage: vi.fn(),
  onSyncFinished: vi.fn(() => Promise.resolve(() => {})),
}));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { PhotoStrip } from "./PhotoStrip";

const of = { kind: "household", id: "0190a0e0-0000-7000-8000-000000000001" } as const;

function entry(id: string, sha256: string): PhotoEntry {
  return {
    photo: {
      id,
      version: 1,
      household_id: of.id,
      visit_id: null,
      concern_id: null,
      sha256,
      thumb_sha256: sha256 ? "b".repeat(64) : "",
      bytes: 1000,
      width: 640,
      height: 480,
      caption: sha256 ? "门锁损坏" : "",
      taken_at: "2026-12-01T08:00:00Z",
      location: "",
      deleted: false,
    },
    has_thumb: sha256 !== "",
    has_full: sha256 !== "",
    uploading: false,
    upload_error: "",
  };
}

beforeEach(() => {
  vi.resetAllMocks();
  api.onSyncFinished.mockReturnValue(Promise.resolve(() => {}));
  api.photoImage.mockResolvedValue(new ArrayBuffer(4));
  globalThis.URL.createObjectURL = vi.fn(() => "blob:thumb");
  globalThis.URL.revokeObjectURL = vi.fn();
});
afterEach(cleanup);

it("attaches every dropped file and names the one that cannot be read, in Chinese", async () => {
  api.photosOf.mockResolvedValue([]);
  api.photoAttach.mockImplementation((_of, bytes: Uint8Array) =>
    bytes[0] === 0x48
      ? Promise.reject(new CommandError({ kind: "photo", error: { reason: "unsupported", format: "HEIC" } }))
      : Promise.resolve(entry("p1", "a".repeat(64))),
  );
  render(<PhotoStrip of={of} />);
  const good = new File([new Uint8Array([0xff, 0xd8, 0xff])], "门.jpg", { type: "image/jpeg" });
  const heic = new File([new Uint8Array([0x48, 0x45])], "IMG_0001.HEIC", { type: "image/heic" });
  const later = new File([new Uint8Array([0x89, 0x50])], "窗.png", { type: "image/png" });
  fireEvent.drop(screen.getByTestId("photo-strip"), { dataTransfer: { files: [good, heic, later], types: ["Files"] } });

  const problems = await screen.findByTestId("photo-problems");
  expect(problems.textContent).toContain("IMG_0001.HEIC");
  expect(problems.textContent).toContain("无法读取 HEIC 格式的照片");
  expect(problems.querySelectorAll("li")).toHaveLength(1);
  expect(api.photoAttach).toHaveBeenCalledTimes(3);
  expect(screen.getByTestId("photo-status").textContent).toContain("已添加 2 张照片");
});

it("shows a confidential concern's photo as withheld and never asks for its bytes", async () => {
  api.photosOf.mockResolvedValue([entry("p2", "")]);
  render(<PhotoStrip of={of} />);
  await screen.findByText("保密问题的照片，仅有权限者可见");
  await waitFor(() => expect(api.photosOf).toHaveBeenCalled());
  expect(api.photoImage).not.toHaveBeenCalled();
  expect(screen.queryByTestId("photo-thumb")).toBeNull();
});

it("shows a photo's thumbnail and caption", async () => {
  api.photosOf.mockResolvedValue([entry("p3", "c".repeat(64))]);
  render(<PhotoStrip of={of} />);
  const img = await screen.findByTestId("photo-thumb");
  expect(img.getAttribute("src")).toBe("blob:thumb");
  expect(api.photoImage).toHaveBeenCalledWith("p3", false);
  expect(screen.getByText("门锁损坏")).toBeTruthy();
});
