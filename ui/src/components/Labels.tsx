import { useTranslation } from "react-i18next";
import type { Tag } from "../bindings/Tag";

export function TagList({ tags }: { tags: Tag[] }) {
  const { t } = useTranslation();
  return (
    <span className="tags">
      {tags.map((tag) => (
        <span key={tag} className="tag">
          {t(`vocab.tag.${tag}`)}
        </span>
      ))}
    </span>
  );
}

/** "12 days overdue", "due today", "due in 5 days". */
export function DueLabel({ days }: { days: number }) {
  const { t } = useTranslation();
  if (days > 0) return <span className="overdue">{t("today.overdue", { days })}</span>;
  if (days === 0) return <span className="due">{t("today.dueToday")}</span>;
  return <span className="muted">{t("today.dueIn", { days: -days })}</span>;
}

/** Under a list the shell cut short: how many of how many are shown (nothing when all are). */
export function FirstOf({ shown, count }: { shown: number; count: number }) {
  const { t } = useTranslation();
  if (shown >= count) return null;
  return <p className="muted">{t("common.firstOf", { shown, count })}</p>;
}
