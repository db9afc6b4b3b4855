// Photos of a household, visit or concern: thumbnails in a row, a photo opened large on a click, and
// adding photos by choosing files, dropping them on the strip or pasting (Ctrl+V) while it has the
// keyboard. Each file is checked and attached on its own: one that cannot be read is named with its
// reason and the others are attached all the same. A photo of a confidential concern this officer
// may not see shows as withheld; one only the station holds is fetched when it is shown.
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { PhotoEntry } from "../bindings/PhotoEntry";
import type { PhotoOf } from "../bindings/PhotoOf";
import { toReport } from "../hooks";
import { errorMessage, formatDateTime } from "../i18n";

/** An image the shell handed over, as a URL the page can show (revoked when no longer shown). */
function useImage(id: string, full: boolean, wanted: boolean) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    let made: string | null = null;
    api.photoImage(id, full).then(
      (bytes) => {
        if (!live) return;
        made = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
        setUrl(made);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [id, full, wanted]);
  return { url, failed };
}

function Thumb({ entry, onOpen }: { entry: PhotoEntry; onOpen: () => void }) {
  const { t } = useTranslation();
  const withheld = entry.photo.sha256 === "";
  const { url, failed } = useImage(entry.photo.id, false, !withheld);
  const caption = entry.photo.caption || formatDateTime(entry.photo.taken_at);
  return (
    <figure className="photo" data-testid="photo" data-photo={entry.photo.id}>
      {withheld ? (
        <div className="photo-placeholder secret">{t("photos.withheld")}</div>
      ) : url ? (
        <button type="button" className="photo-open" onClick={onOpen} title={t("photos.open")}>
          <img src={url} alt={caption} data-testid="photo-thumb" />
        </button>
      ) : (
        <div className="photo-placeholder">{failed ? t("photos.notFetched") : t("common.loading")}</div>
      )}
      <figcaption>
        {entry.photo.caption}
        {entry.uploading ? (
          <span className="tag" data-testid="photo-uploading" title={entry.upload_error || undefined}>
            {entry.upload_error ? t("photos.uploadRetry") : t("photos.uploading")}
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
}

/** The photo large, its caption (editable) and delete; Esc closes. */
function Viewer({ entry, onClose, onChanged }: { entry: PhotoEntry; onClose: () => void; onChanged: () => void }) {
  const { t } = useTranslation();
  const { url, failed } = useImage(entry.photo.id, true, true);
  const [caption, setCaption] = useState(entry.photo.caption);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && (e.preventDefault(), onClose());
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="photo-viewer" role="dialog" aria-label={t("photos.title")} data-testid="photo-viewer">
      {url ? (
        <img src={url} alt={entry.photo.caption} data-testid="photo-full" />
      ) : (
        <p>{failed ? t("photos.notFetched") : t("common.loading")}</p>
      )}
      <p className="muted">
        {formatDateTime(entry.photo.taken_at)} · {entry.photo.width}×{entry.photo.height}
        {entry.photo.location ? ` · ${t("photos.location")} ${entry.photo.location}` : ""}
      </p>
      <label>
        {t("photos.caption")}
        <input value={caption} onChange={(e) => setCaption(e.target.value)} />
      </label>
      <button
        type="button"
        onClick={() =>
          void api.photoCaption(entry.photo.id, caption).then(onChanged, (e) => setError(errorMessage(toReport(e))))
        }
      >
        {t("photos.saveCaption")}
      </button>
      <button
        type="button"
        className="danger"
        data-testid="photo-delete"
        onClick={() =>
          window.confirm(t("photos.confirmDelete")) &&
          void api.photoDelete(entry.photo.id).then(
            () => (onChanged(), onClose()),
            (e) => setError(errorMessage(toReport(e))),
          )
        }
      >
        {t("photos.delete")}
      </button>
      <button type="button" onClick={onClose}>
        {t("photos.close")}
      </button>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** `compact`: within a visit's or concern's card, only the photos and an add button. */
export function PhotoStrip({
  of,
  canAdd = true,
  compact = false,
}: {
  of: PhotoOf;
  canAdd?: boolean;
  compact?: boolean;
}) {
  const { t } = useTranslation();
  const [entries, setEntries] = useState<PhotoEntry[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [caption, setCaption] = useState("");
  const [keepLocation, setKeepLocation] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [added, setAdded] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const key = `${of.kind}:${of.id}`;

  const reload = useCallback(() => {
    void api.photosOf(of).then(setEntries, (e) => setProblems([errorMessage(toReport(e))]));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  useEffect(() => {
    reload();
    // A sync (the automatic one, the upload timer's, the button's) may have sent ours or brought
    // others' thumbnails.
    const stop = api.onSyncFinished(() => reload());
    return () => void stop.then((s) => s());
  }, [reload]);

  const attach = async (files: File[]) => {
    const images = files.filter((f) => f.size > 0);
    if (images.length === 0) return;
    setBusy(true);
    const failed: string[] = [];
    let done = 0;
    for (const file of images) {
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        await api.photoAttach(of, bytes, caption, keepLocation);
        done += 1;
      } catch (e) {
        failed.push(`${file.name || t("photos.pasted")}：${errorMessage(toReport(e))}`);
      }
    }
    setBusy(false);
    setProblems(failed);
    setAdded(done);
    if (done > 0) setCaption("");
    reload();
  };

  const opened = entries.find((e) => e.photo.id === open);
  return (
    <div
      className="photo-strip"
      data-testid="photo-strip"
      data-of={of.kind}
      tabIndex={canAdd ? 0 : undefined}
      onDragOver={(e) => canAdd && e.dataTransfer.types.includes("Files") && e.preventDefault()}
      onDrop={(e) => {
        if (!canAdd) return;
        e.preventDefault();
        void attach(Array.from(e.dataTransfer.files));
      }}
      onPaste={(e) => {
        if (!canAdd) return;
        const files = Array.from(e.clipboardData.files);
        if (files.length > 0) {
          e.preventDefault();
          void attach(files);
        }
      }}
    >
      <div className="photos">
        {entries.map((entry) => (
          <Thumb
            key={`${entry.photo.id}-${entry.photo.version}`}
            entry={entry}
            onOpen={() => setOpen(entry.photo.id)}
          />
        ))}
        {entries.length === 0 && !compact ? <p className="muted">{t("photos.none")}</p> : null}
      </div>
      {canAdd ? (
        <div className="photo-add">
          <input
            ref={input}
            type="file"
            multiple
            hidden
            data-testid="photo-file"
            accept="image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"
            onChange={(e) => {
              const files = Array.from(e.target.files ?? []);
              e.target.value = "";
              void attach(files);
            }}
          />
          {compact ? null : (
            <>
              <input
                placeholder={t("photos.captionPlaceholder")}
                value={caption}
                onChange={(e) => setCaption(e.target.value)}
                aria-label={t("photos.caption")}
              />
              <label className="inline">
                <input type="checkbox" checked={keepLocation} onChange={(e) => setKeepLocation(e.target.checked)} />
                {t("photos.keepLocation")}
              </label>
            </>
          )}
          <button type="button" disabled={busy} data-testid="photo-add" onClick={() => input.current?.click()}>
            {busy ? t("photos.adding") : t("photos.add")}
          </button>
          {compact ? null : <span className="muted">{t("photos.dropHint")}</span>}
        </div>
      ) : null}
      <div role="status" data-testid="photo-status">
        {added > 0 ? t("photos.added", { count: added }) : null}
      </div>
      {problems.length > 0 ? (
        <ul className="error" role="alert" data-testid="photo-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      {opened ? <Viewer entry={opened} onClose={() => setOpen(null)} onChanged={reload} /> : null}
    </div>
  );
}
