#!/usr/bin/env bash
# Checks every package in a folder (default artifacts/packages, where .ci/run packs) for what a NuGet user needs:
# README.md and CHANGELOG.md packed at the root and named in the nuspec (readme, releaseNotes), repository and project
# URLs, licence, tags and description; a README without repository-relative links, samples/ paths or `dotnet run
# --project` (they do not resolve for someone who installed the package); PDBs with Source Link to the repository (in a
# .snupkg beside a library, inside a tool package); a tool's RID-specific packages beside the package pointing to them. Ends with "N passed, N failed" (one check per package and property); exit 1 on a failure.
# Usage: .ci/check-packages.sh [folder]
set -uo pipefail
# grep -c, not -q, after a pipe: -q stops reading at the first match, and the writer's SIGPIPE then fails the pipeline.
folder=${1:-artifacts/packages}
repo_url=https://github.com/portmismatch/PortMismatch.Detection
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
check() { if [ "$2" = 0 ]; then ok; else bad "$1" "$3"; fi; }

shopt -s nullglob
packages=("$folder"/*.nupkg)
if [ ${#packages[@]} -eq 0 ]; then
  echo "FAIL $folder: no .nupkg"
  echo "0 passed, 1 failed"
  exit 1
fi

for pkg in "${packages[@]}"; do
  name=$(basename "$pkg" .nupkg)
  files=$(unzip -Z1 "$pkg")
  nuspec=$(unzip -p "$pkg" '*.nuspec')
  has() { printf '%s\n' "$files" | grep -cxF "$1" > /dev/null; }
  tag() { printf '%s\n' "$nuspec" | grep -oP "<$1(\s[^>]*)?>\K[^<]+(?=</$1>)" | head -n1; }

  has README.md; check "$name" $? "README.md is not packed"
  has CHANGELOG.md; check "$name" $? "CHANGELOG.md is not packed"
  [ "$(tag readme)" = README.md ]; check "$name" $? "nuspec <readme> is not README.md"
  [[ "$(tag releaseNotes)" == *CHANGELOG.md* ]]; check "$name" $? "nuspec <releaseNotes> does not point to CHANGELOG.md"
  repository=$(printf '%s\n' "$nuspec" | grep -oE '<repository [^>]*>' || true)
  [[ "$repository" == *" type=\"git\""* && "$repository" == *" url=\"$repo_url\""* && "$repository" =~ \ commit=\"[0-9a-f]{40}\" ]]
  check "$name" $? "nuspec <repository> lacks type git, url $repo_url or the commit: ${repository:-none}"
  [ "$(tag projectUrl)" = "$repo_url" ]; check "$name" $? "nuspec <projectUrl> is not $repo_url"
  [ "$(tag license)" = MIT ]; check "$name" $? "nuspec <license> is not MIT"
  [ -n "$(tag tags)" ]; check "$name" $? "nuspec has no <tags>"
  [ -n "$(tag description)" ]; check "$name" $? "nuspec has no <description>"
  if has CHANGELOG.md; then
    unzip -p "$pkg" CHANGELOG.md | grep -cE "^## " > /dev/null; check "$name" $? "CHANGELOG.md has no version section (## ...)"
  fi

  if has README.md; then
    readme=$(unzip -p "$pkg" README.md)
    # Markdown links and images whose target is not absolute (http(s)://, mailto:) or an anchor in the same file.
    relative=$(printf '%s\n' "$readme" | grep -oP '\]\(\K[^)\s]+' | grep -vE '^(https?://|mailto:|#)' || true)
    [ -z "$relative" ]; check "$name" $? "README links that do not resolve on nuget.org: $(echo $relative)"
    stale=$(printf '%s\n' "$readme" | grep -nE 'dotnet run --project|(^|[ `(])samples/' || true)
    [ -z "$stale" ]; check "$name" $? "README tells an installed user about the repository's files: $(echo "$stale" | head -n1)"
  fi

  if printf '%s\n' "$nuspec" | grep -cE '<packageType name="DotnetTool(RidPackage)?"' > /dev/null; then
    # A tool: its PDBs are inside the package (the tool's folder); the package that points to the RID-specific ones
    # (dotnet pack with ToolPackageRuntimeIdentifiers) must have each of them beside it, or dotnet tool install fails.
    version=$(tag version)
    for id in $(unzip -p "$pkg" '*/DotnetToolSettings.xml' | grep -oP 'RuntimeIdentifierPackage [^>]*Id="\K[^"]+' || true); do
      [ -f "$folder/$id.$version.nupkg" ]; check "$name" $? "points to $id $version, which is not in $folder"
    done
    pdb_source=$pkg
    pdbs=$(printf '%s\n' "$files" | grep '\.pdb$' || true)
  else
    # A library: a .snupkg beside the package holds the PDBs.
    snupkg=${pkg%.nupkg}.snupkg
    pdb_source=$snupkg
    pdbs=
    if [ -f "$snupkg" ]; then
      ok
      pdbs=$(unzip -Z1 "$snupkg" | grep '\.pdb$' || true)
      [ -n "$pdbs" ]; check "$name" $? "$(basename "$snupkg") holds no .pdb"
    else
      bad "$name" "no $(basename "$snupkg") (symbols)"
    fi
  fi
  # Source Link: each PDB maps its sources to the repository's raw URLs at the commit.
  for pdb in $pdbs; do
    unzip -p "$pdb_source" "$pdb" | grep -acF "${repo_url/github.com/raw.githubusercontent.com}/" > /dev/null
    check "$name" $? "$pdb has no Source Link to $repo_url"
  done
done

echo "${#packages[@]} packages in $folder"
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
