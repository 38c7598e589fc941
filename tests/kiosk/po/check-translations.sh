#!/bin/bash
# check-translations.sh SOURCE_DIR - fail when a language of the kiosk lacks
# a translation of any message in the current sources, or has one marked
# fuzzy, or one whose placeholders differ from the English.
set -euo pipefail
src=$1
po_dir=$src/kiosk-ui/po
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$po_dir/update-pot.sh" "$src" "$tmp/current.pot"
total=$(msgattrib --no-obsolete "$tmp/current.pot" | grep -c '^msgid "' || true)
fail=0
n_langs=0
while read -r lang; do
  case "$lang" in ''|'#'*) continue ;; esac
  n_langs=$((n_langs + 1))
  po=$po_dir/$lang.po
  if [ ! -f "$po" ]; then echo "$lang: $po is missing"; fail=1; continue; fi
  msgmerge --quiet --no-fuzzy-matching "$po" "$tmp/current.pot" -o "$tmp/$lang.po"
  untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -c '^msgid "' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep -c '^msgid "' || true)
  # msgattrib prints the header entry (msgid "") too when there is anything.
  [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  if [ "$untranslated" -ne 0 ] || [ "$fuzzy" -ne 0 ]; then
    echo "$lang: $untranslated untranslated and $fuzzy fuzzy of $((total - 1)) messages:"
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep '^msgid "' | sed 1d | head -20
    fail=1
  fi
  if ! msgfmt --check -o /dev/null "$tmp/$lang.po" 2>"$tmp/$lang.err"; then
    echo "$lang: msgfmt --check:"; cat "$tmp/$lang.err"; fail=1
  fi
done < "$po_dir/LINGUAS"
[ "$n_langs" -ge 5 ] || { echo "LINGUAS lists $n_langs languages; the kiosk offers 5 besides English"; fail=1; }
[ $fail -eq 0 ] && echo "all $n_langs languages complete: $((total - 1)) messages each"
exit $fail
