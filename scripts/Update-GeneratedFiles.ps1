#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Rewrites the generated files: from the training settings catalog (src/Core/Training/Settings),
    experiments/mnistcnn-experiment.schema.json, the settings table in docs/experiments.md and the -Options key
    properties in src/Cmdlets/TrainingOptionsTable.g.cs; from the error-id constants (the *ErrorIds classes),
    docs/error-ids.md.
.DESCRIPTION
    Runs the tests that compare those files with what the catalog produces, with MNISTCNN_UPDATE_GENERATED=1 so
    that they write what the catalog and the constants produce instead of failing. Review the diff and commit it.
    Usage: dotnet pwsh scripts/Update-GeneratedFiles.ps1
#>
[CmdletBinding()]
param()
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
$env:MNISTCNN_UPDATE_GENERATED = '1'
try {
    dotnet test (Join-Path $root 'tests/Core.Tests') -c Release --filter 'FullyQualifiedName~SettingsCatalogTests.TheCommitted|FullyQualifiedName~SettingsCatalogTests.TheDocsTable|FullyQualifiedName~SettingsCatalogTests.TheOptionsTableProperties|FullyQualifiedName~ErrorIdTests.TheCommittedCatalogue' --nologo
    if ($LASTEXITCODE -ne 0) { throw "The generating tests failed (exit $LASTEXITCODE)." }
}
finally {
    Remove-Item Env:MNISTCNN_UPDATE_GENERATED
}
git -C $root status --short -- experiments/mnistcnn-experiment.schema.json docs/experiments.md src/Cmdlets/TrainingOptionsTable.g.cs docs/error-ids.md
