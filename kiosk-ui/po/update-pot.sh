#!/bin/bash
# update-pot.sh SOURCE_DIR [OUT.pot] - extract the kiosk's translatable
# messages (C files with _() N_() g_dngettext(), .ui files with
# translatable="yes") into a .pot; without OUT, into kiosk-ui/po/
# mynaterm-kiosk.pot, merged into every <lang>.po of LINGUAS.
set -euo pipefail
src=$1
po_dir=$src/kiosk-ui/po
out=${2:-$po_dir/mynaterm-kiosk.pot}
cd "$src"
mapfile -t files < <(find kiosk-ui/core kiosk-ui/session kiosk-ui/widgets kiosk-ui/form \
  kiosk-ui/browse kiosk-ui/receipt kiosk-ui/shell kiosk-ui/app \
  \( -name '*.c' -o -name '*.ui' \) | LC_ALL=C sort)
xgettext --from-code=UTF-8 --add-comments=Translators --sort-by-file \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --keyword=ngettext:1,2 \
  --package-name=mynaterm-kiosk --msgid-bugs-address=none \
  -o "$out" "${files[@]}"
if [ $# -lt 2 ]; then
  while read -r lang; do
    case "$lang" in ''|'#'*) continue ;; esac
    msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po_dir/$lang.po" "$out"
  done < "$po_dir/LINGUAS"
fi
