# An experiment worker for the integration tests: runs one trial of -Spec by index, as a scheduler's job would.
param([Parameter(Mandatory)] [string] $Spec, [int] $TrialIndex = 0)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
trap { [Console]::Error.WriteLine("$($_.FullyQualifiedErrorId): $($_.Exception.Message)"); exit 1 }
. (Join-Path $PSScriptRoot '../TestHelpers.ps1')
$r = Invoke-CnnExperiment -Path $Spec -TrialIndex $TrialIndex -Threads 1 -WarningAction SilentlyContinue
"status=$($r.Status) resumed=$($r.Resumed) error=$($r.Error)"
