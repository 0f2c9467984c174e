#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Writes the module's about_ topics (en-US/about_*.help.txt) from the repository's markdown documents.
.DESCRIPTION
    Get-Help about_MnistCnn (README.md), about_MnistCnn_Install (docs/install.md), about_MnistCnn_Experiments (docs/experiments.md) and
    about_MnistCnn_Tracking (docs/tracking.md) read the same text as the repository, turned into the plain-text
    about-topic layout: TOPIC, SHORT DESCRIPTION, LONG DESCRIPTION, headings in capitals, code indented, links as
    "text (target)". A file is rewritten only when its text changes. Run by build.ps1.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $RepositoryRoot,
    [Parameter(Mandatory)] [string] $OutDirectory
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$topics = [ordered]@{
    about_MnistCnn             = @{ Source = 'README.md'; Short = 'Getting started with MnistCnn: install, train, predict, track and sweep CNNs on MNIST-style images.' }
    about_MnistCnn_Install     = @{ Source = 'docs/install.md'; Short = 'Installing MnistCnn and its libtorch: Install-CnnBackend, the first-use step, the backend cache, CUDA.' }
    about_MnistCnn_Experiments = @{ Source = 'docs/experiments.md'; Short = 'MnistCnn experiment specs (YAML), sweeps, trials and schedulers.' }
    about_MnistCnn_Tracking    = @{ Source = 'docs/tracking.md'; Short = 'MnistCnn run tracking: run folders, journals and MLflow.' }
}

function ConvertTo-AboutText([string[]] $Lines) {
    $out = [Collections.Generic.List[string]]::new()
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { $inFence = -not $inFence; if (-not $inFence) { $out.Add('') }; continue }
        if ($inFence) { $out.Add('        ' + $line); continue }
        if ($line -match '^(#{1,6})\s+(.*)$') {
            $title = $Matches[2].Trim() -replace '`([^`]+)`', '$1' -replace '\*\*([^*]+)\*\*', '$1'
            if ($out.Count -and $out[-1] -ne '') { $out.Add('') }
            $out.Add('    ' + $(if ($Matches[1].Length -le 2) { $title.ToUpperInvariant() } else { $title }))
            if ($Matches[1].Length -gt 2) { $out.Add('    ' + ('-' * $title.Length)) }
            continue
        }
        $text = $line
        $text = [regex]::Replace($text, '!\[([^\]]*)\]\(([^)]*)\)', '$1 ($2)')     # images
        $text = [regex]::Replace($text, '\[([^\]]+)\]\(([^)]+)\)', {
                param($m)
                $label, $target = $m.Groups[1].Value, $m.Groups[2].Value
                # [docs/x.md](docs/x.md) is the path once; [docs/x.md](docs/x.md#part) the path with its part.
                if ($label -eq $target) { $label } elseif ($target.StartsWith("$label#", [StringComparison]::Ordinal)) { $target } else { "$label ($target)" } })
        $text = [regex]::Replace($text, '<(https?://[^>]+)>', '$1')
        $text = $text -replace '\*\*([^*]+)\*\*', '$1' -replace '`([^`]+)`', '$1'
        $out.Add($(if ($text.Trim()) { '    ' + $text.TrimEnd() } else { '' }))
    }
    # No runs of blank lines.
    $clean = [Collections.Generic.List[string]]::new()
    foreach ($l in $out) { if ($l -eq '' -and $clean.Count -and $clean[-1] -eq '') { continue }; $clean.Add($l) }
    $clean
}

$null = New-Item -ItemType Directory -Force $OutDirectory
foreach ($topic in $topics.GetEnumerator()) {
    $source = Join-Path $RepositoryRoot $topic.Value.Source
    $lines = @(Get-Content $source)
    # The document's own title line becomes TOPIC.
    if ($lines.Count -and $lines[0] -match '^# ') { $lines = @($lines | Select-Object -Skip 1) }
    $body = ConvertTo-AboutText $lines
    $text = @('TOPIC', "    $($topic.Key)", '', 'SHORT DESCRIPTION', "    $($topic.Value.Short)", '', 'LONG DESCRIPTION',
        "    Generated from $($topic.Value.Source) of the MnistCnn repository.", '') + $body + @('', 'SEE ALSO',
        ($topics.Keys | Where-Object { $_ -ne $topic.Key } | ForEach-Object { "    $_" }), '    Get-Command -Module MnistCnn') |
        ForEach-Object { $_ }
    $value = ($text -join "`n").TrimEnd() + "`n"
    $file = Join-Path $OutDirectory "$($topic.Key).help.txt"
    if (-not (Test-Path $file) -or (Get-Content -Raw $file) -cne $value) {
        [IO.File]::WriteAllText($file, $value, [Text.UTF8Encoding]::new($false))
    }
}
Write-Host "About topics: $($topics.Keys -join ', ')"
