#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The project's web address for the package manifest's ProjectUri and LicenseUri (build.ps1 Package).
.DESCRIPTION
    -ProjectUri when given; otherwise the repository's git remote 'origin' (git remote get-url origin), as https:
    an ssh remote (git@host:owner/name.git, ssh://git@host/owner/name.git) becomes https://host/owner/name, and any
    user name or token in the address is dropped (it would otherwise be published in the manifest). Throws, saying
    what to pass, when there is neither or the address is not http(s).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $RepositoryRoot,
    [string] $ProjectUri
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$from = '-ProjectUri'
$uri = $ProjectUri
if (-not $uri) {
    $from = "the git remote 'origin'"
    $origin = & git -C $RepositoryRoot remote get-url origin 2>$null
    if ($LASTEXITCODE -eq 0 -and $origin) {
        $uri = "$origin".Trim() -replace '^git@([^:/]+):', 'https://$1/' -replace '^ssh://(?:[^@/]+@)?([^:/]+)(?::\d+)?/', 'https://$1/' -replace '\.git/?$', ''
    }
}
if (-not $uri) {
    throw "Package needs the project's web address for the manifest's ProjectUri and LicenseUri, and this repository has no git remote 'origin': " +
        "pass -ProjectUri https://... (or add the remote: git remote add origin <address>)."
}
$parsed = $null
if (-not [uri]::TryCreate($uri, 'Absolute', [ref] $parsed) -or $parsed.Scheme -notin 'https', 'http') {
    # Only the scheme and host are shown: the address may carry a token.
    $shown = if ($parsed) { "$($parsed.Scheme)://$($parsed.Host)/..." } else { 'an address that is not a URL' }
    throw "Package needs an http(s) address for the manifest's ProjectUri, but $from gives $shown. Pass -ProjectUri https://..."
}
# No user name or token in a published manifest.
$builder = [UriBuilder]::new($parsed)
$builder.UserName = ''
$builder.Password = ''
$builder.Uri.GetComponents('SchemeAndServer, Path', 'UriEscaped').TrimEnd('/')
