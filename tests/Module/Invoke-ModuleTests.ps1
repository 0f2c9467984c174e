#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Runs the module's Pester tests against a laid-out module folder (build.ps1 Test runs it in a fresh pwsh).
.DESCRIPTION
    Pester comes from the NuGet cache, restored by tests/Module/Pester.proj at the version Directory.Packages.props
    pins. Writes NUnit XML and a pester.json summary (Passed, Failed, Skipped, and a line for each failure) to -ResultsDirectory and exits 1 when
    any test, block or container failed.
.EXAMPLE
    dotnet pwsh tests/Module/Invoke-ModuleTests.ps1 -ModulePath out/MnistCnn -ResultsDirectory out/test-results
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/MnistCnn'),
    [string] $ResultsDirectory = (Join-Path $PSScriptRoot '../../out/test-results'),
    # Run only the files or tests matching these Pester tags / paths.
    [string[]] $Path = @($PSScriptRoot)
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

$props = [xml](Get-Content -Raw (Join-Path $root 'Directory.Packages.props'))
$version = @($props.Project.ItemGroup.PackageVersion | Where-Object { $_.Include -eq 'Pester' })[0].Version
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
$pester = Join-Path $packages "pester/$version/tools/Pester.psd1"
if (-not (Test-Path $pester)) {
    & dotnet restore (Join-Path $PSScriptRoot 'Pester.proj') -nologo -v quiet | Out-Host
    if (-not (Test-Path $pester)) { throw "Pester $version is not in $packages; run: dotnet restore tests/Module/Pester.proj" }
}
Import-Module $pester

# The tests import the module from here (tests/Module/TestHelpers.ps1).
$env:MNISTCNN_MODULE_PATH = (Resolve-Path $ModulePath).Path
$null = New-Item -ItemType Directory -Force $ResultsDirectory
# Runs the tests train go to the results folder, never ./runs, and never to a tracking server of the caller's.
$env:MNISTCNN_RUNS_DIR = Join-Path (Resolve-Path $ResultsDirectory).Path 'runs'
Get-ChildItem env: | Where-Object Name -like 'MLFLOW_*' | ForEach-Object { Remove-Item "env:$($_.Name)" }

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
# Colour escapes only on a terminal; CI logs stay plain.
$config.Output.RenderMode = if ([Console]::IsOutputRedirected -or $env:NO_COLOR) { 'Plaintext' } else { 'Auto' }
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $ResultsDirectory 'pester.xml'
$result = Invoke-Pester -Configuration $config

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# What failed, one line each (name and the first line of the error), for build.ps1's closing list.
$firstLine = { param($item) $e = @($item.ErrorRecord)[0]; if ($e) { ("$($e.Exception.Message)" -split "`n")[0].Trim() } else { '' } }
$failures = @(
    foreach ($t in $result.Failed) { "$($t.ExpandedPath): $(& $firstLine $t)" }
    foreach ($b in $result.FailedBlocks) { "block $($b.ExpandedPath): $(& $firstLine $b)" }
    foreach ($c in $result.FailedContainers) { "file $($c.Item): $(& $firstLine $c)" }
)
[ordered]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount + $result.NotRunCount; Failures = $failures } |
    ConvertTo-Json -Depth 3 | Set-Content (Join-Path $ResultsDirectory 'pester.json')
Write-Host "Pester: $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
exit ([int]($failed -gt 0))
