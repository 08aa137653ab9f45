#!/usr/bin/env bash
# Adds every public symbol the PublicAPI analyzer reports as undeclared (RS0016/RS0017) to the project's
# PublicAPI.Unshipped.txt. Usage: .ci/update-public-api.sh src/<Package>/<Package>.csproj
# Review the diff: it is the API you are about to ship.
set -euo pipefail
proj=$1
dir=$(dirname "$proj")
for pass in 1 2 3; do
  out=$(dotnet build "$proj" -c Release --no-incremental -p:TreatWarningsAsErrors=false 2>&1 || true)
  added=$(printf '%s\n' "$out" | grep -oP "RS0016: Symbol '\K.*?(?=' is not part of the declared public API)" | sort -u || true)
  removed=$(printf '%s\n' "$out" | grep -oP "RS0017: Symbol '\K.*?(?=' is part of the declared API)" | sort -u || true)
  [ -z "$added$removed" ] && break
  if [ -n "$removed" ]; then
    while IFS= read -r sym; do
      grep -vxF -- "$sym" "$dir/PublicAPI.Unshipped.txt" > "$dir/PublicAPI.Unshipped.tmp" || true
      mv "$dir/PublicAPI.Unshipped.tmp" "$dir/PublicAPI.Unshipped.txt"
    done <<< "$removed"
  fi
  [ -n "$added" ] && printf '%s\n' "$added" >> "$dir/PublicAPI.Unshipped.txt"
  { head -n1 "$dir/PublicAPI.Unshipped.txt"; tail -n +2 "$dir/PublicAPI.Unshipped.txt" | sort -u; } > "$dir/PublicAPI.Unshipped.tmp"
  mv "$dir/PublicAPI.Unshipped.tmp" "$dir/PublicAPI.Unshipped.txt"
done
echo "$(($(wc -l < "$dir/PublicAPI.Unshipped.txt") - 1)) symbols in $dir/PublicAPI.Unshipped.txt"
