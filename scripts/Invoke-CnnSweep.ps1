<#
.SYNOPSIS
    Runs an experiment spec (one run or a sweep) non-interactively, for schedulers, CI and MSBuild.

.DESCRIPTION
    Validates the spec first and prints every problem as 'file(line,col): error MNCxxxx: message'.
    Which trials run: -TrialIndex when given; otherwise, unless -All, the one trial named by a scheduler's array
    index (MNISTCNN_TRIAL_INDEX, JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN,
    AWS_BATCH_JOB_ARRAY_INDEX, SGE_TASK_ID - SGE_TASK_FIRST); with none set, every trial.
    Trials that already finished with the same resolved spec are skipped (-Force runs them again), so re-running
    after an interruption resumes the sweep.
    Prints one line per trial and no progress bars when output is redirected or CI is set.

    When the last trial of a sweep ends (in whichever process or machine ran it), sweep.html and summary.json are
    written into the experiment folder and the sweep's MLflow parent run gets the best trial's metrics.

    Exit codes:
      0  every selected trial finished (now or before)
      1  a trial failed or was stopped
      2  the spec is invalid, or the trial index (-TrialIndex or a scheduler's variable) is outside the sweep; nothing was trained
      3  the toolkit could not be loaded, or another error

.EXAMPLE
    pwsh -File scripts/Invoke-CnnSweep.ps1 experiments/optimizer-sweep.yaml -All -ThrottleLimit 2

.EXAMPLE
    # Slurm: one array task per trial (examples/slurm/sweep.sbatch is a complete batch script)
    sbatch --array=0-11 --wrap "pwsh -File scripts/Invoke-CnnSweep.ps1 experiments/optimizer-sweep.yaml"
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, Position = 0)]
    [string] $Path,

    # Run only these trials (0-based).
    [int[]] $TrialIndex,

    # Run every trial even when a scheduler index variable is set.
    [switch] $All,

    # Trials at once, each in its own process.
    [ValidateRange(1, 256)]
    [int] $ThrottleLimit = 1,

    # Run finished trials again.
    [switch] $Force,

    # CPU threads per trial (overrides training.threads).
    [ValidateRange(0, 1024)]
    [int] $Threads = 0,

    # The module to import (MnistCnn.psd1 or MnistCnn.Cmdlets.dll); default: $env:MNISTCNN_MODULE, then MnistCnn from PSModulePath, then out/MnistCnn of this repository.
    [string] $Module,

    # Only validate the spec.
    [switch] $ValidateOnly,

    # When every trial of the spec has finished, copy its summary.json here (MSBuild's up-to-date marker).
    [string] $ResultFile,

    # Write the spec's files (itself and what it extends), one per line, here (MSBuild's inputs).
    [string] $DependencyFile
)

$ErrorActionPreference = 'Stop'
$interactive = [Environment]::UserInteractive -and -not [Console]::IsOutputRedirected -and -not $env:CI
if (-not $interactive) {
    $ProgressPreference = 'SilentlyContinue'
    if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
}

function Write-Line([string] $Text) { [Console]::Out.WriteLine($Text) }

try {
    if (-not $Module) { $Module = $env:MNISTCNN_MODULE }
    if (-not $Module -and -not (Get-Module -ListAvailable MnistCnn)) {
        # The module build.ps1 lays out in this repository.
        $laidOut = Join-Path $PSScriptRoot '../out/MnistCnn/MnistCnn.psd1'
        if (Test-Path $laidOut) { $Module = $laidOut }
    }
    if ($Module) { Import-Module $Module -ErrorAction Stop } else { Import-Module MnistCnn -ErrorAction Stop }
}
catch {
    [Console]::Error.WriteLine("Invoke-CnnSweep: cannot load the MnistCnn module ($($Module ?? 'MnistCnn')): $($_.Exception.Message). Pass -Module or set MNISTCNN_MODULE.")
    exit 3
}

try {
    $check = Test-CnnExperiment -Path $Path
    if ($DependencyFile) {
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent ([IO.Path]::GetFullPath($DependencyFile)))
        Set-Content -LiteralPath $DependencyFile -Value $check.Files
    }
    if (-not $check.IsValid) {
        foreach ($d in $check.Diagnostics) { Write-Line $d.ToString() }
        [Console]::Error.WriteLine("Invoke-CnnSweep: $($check.Path) has $($check.Diagnostics.Count) problem(s); nothing was trained.")
        exit 2
    }
    if ($ValidateOnly) {
        Write-Line "$($check.Path): valid, $($check.TrialCount) trial(s)."
        exit 0
    }

    $invoke = @{ Path = $check.Path; ThrottleLimit = $ThrottleLimit; Force = $Force; ErrorAction = 'SilentlyContinue'; ErrorVariable = 'runErrors' }
    if ($Threads -gt 0) { $invoke.Threads = $Threads }
    $selected = 'all'
    if ($TrialIndex) {
        $invoke.TrialIndex = $TrialIndex
        $selected = $TrialIndex -join ','
    }
    elseif (-not $All) {
        $indexVariables = 'MNISTCNN_TRIAL_INDEX', 'JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'AWS_BATCH_JOB_ARRAY_INDEX', 'SGE_TASK_ID'
        if ($indexVariables | Where-Object { [Environment]::GetEnvironmentVariable($_) -and [Environment]::GetEnvironmentVariable($_) -ne 'undefined' }) {
            $invoke.UseSchedulerIndex = $true
            $selected = 'scheduler index'
        }
    }
    Write-Line "$($check.Name): $($check.TrialCount) trial(s) in the spec; running $selected."

    # Epoch lines go to the log as they come (information stream); results are summarised below.
    $results = @(Invoke-CnnExperiment @invoke)
    $indexErrors = @($runErrors | Where-Object { $_.FullyQualifiedErrorId -match '^(TrialIndexOutOfRange|SchedulerIndexInvalid|SchedulerIndexMissing)\b' })
    if ($indexErrors) {
        # One line: the index, the variable it came from, the sweep's size.
        [Console]::Error.WriteLine("Invoke-CnnSweep: $($indexErrors[0].Exception.Message)")
        exit 2
    }
    # A trial that did not finish writes TrialFailed besides its result: counted once, from the result.
    $runErrors = @($runErrors | Where-Object { $_.FullyQualifiedErrorId -notmatch '^TrialFailed\b' })
    foreach ($r in $results) {
        $accuracy = if ($null -ne $r.TestAccuracy) { ' test accuracy {0:F4}' -f $r.TestAccuracy } else { '' }
        $note = if ($r.Skipped) { ' (already finished)' } elseif ($r.Error) { " - $($r.Error)" } else { '' }
        Write-Line ("trial {0} {1}: {2}{3}{4}" -f $r.TrialIndex, $r.TrialId, $r.Status, $accuracy, $note)
    }
    foreach ($e in $runErrors) { [Console]::Error.WriteLine("Invoke-CnnSweep: $($e.Exception.Message)") }

    $failed = @($results | Where-Object Status -ne 'Finished').Count + @($runErrors).Count
    if ($failed -gt 0 -or $results.Count -eq 0) {
        [Console]::Error.WriteLine("Invoke-CnnSweep: $failed trial(s) did not finish.")
        exit 1
    }
    if ($ResultFile) {
        $summaryPath = Join-Path $check.Plan.OutputPath 'summary.json'
        $summary = Get-Content -Raw -LiteralPath $summaryPath | ConvertFrom-Json
        if (@($summary.trials | Where-Object status -ne 'FINISHED').Count -eq 0) {
            $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent ([IO.Path]::GetFullPath($ResultFile)))
            Copy-Item -LiteralPath $summaryPath -Destination $ResultFile -Force
        }
    }
    exit 0
}
catch {
    [Console]::Error.WriteLine("Invoke-CnnSweep: $($_.Exception.Message)")
    # A signal (a scheduler's SIGTERM, Ctrl+C) stopped a trial: it is KILLED with its checkpoint kept, and resumes.
    if ($_.FullyQualifiedErrorId -like 'TrainingStopped,*') { exit 1 }
    exit 3
}
