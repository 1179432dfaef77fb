"use client";

import { type ReactNode, useEffect, useRef } from "react";

/**
 * A modal question before a consequential change. The native <dialog> opened with showModal()
 * keeps focus inside, closes on Escape (as "cancel") and hands focus back to what opened it.
 * The safe choice (Cancel) has focus first, so a stray Enter changes nothing.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger = false,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      cancelButton.current?.focus();
    } else if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      aria-labelledby="confirm-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-dialog-title" style={{ marginTop: 0 }}>
        {title}
      </h2>
      <div>{children}</div>
      <p style={{ display: "flex", gap: 8, justifyContent: "flex-end", marginBottom: 0 }}>
        <button ref={cancelButton} type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className={danger ? "danger" : "primary"} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </p>
    </dialog>
  );
}
