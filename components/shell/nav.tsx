"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { Role } from "@/db/schema";

const ALL: readonly Role[] = ["viewer", "investigator", "admin"];
const STAFF: readonly Role[] = ["investigator", "admin"];
const ITEMS: { href: string; label: string; roles: readonly Role[] }[] = [
  { href: "/", label: "Overview", roles: ALL },
  { href: "/events", label: "Events", roles: ALL },
  { href: "/requests", label: "Requests", roles: ALL },
  { href: "/principals", label: "Principals", roles: ALL },
  { href: "/sessions", label: "Sessions", roles: STAFF },
  { href: "/escalations", label: "Escalations", roles: STAFF },
  { href: "/revocations", label: "Revocations", roles: STAFF },
  { href: "/admin", label: "Admin", roles: ["admin"] },
];

// Hiding links from other roles is comfort only: every page and action checks the role itself.
export function Nav({ role }: { role: Role | null }) {
  const pathname = usePathname();
  const items = ITEMS.filter((i) => role !== null && i.roles.includes(role));
  return (
    <nav className="nav" aria-label="Main">
      {items.map((item) => {
        const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
        return (
          <Link key={item.href} href={item.href} aria-current={active ? "page" : undefined}>
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
