# A real Slurm: examples/slurm/sweep.sbatch submitted as an array job to the one-node cluster .ci/run starts
# (.ci/slurm.sh; SLURM_CONF names it). A 4-trial sweep of a few thousand synthetic images, 1 epoch each: every trial
# runs exactly once, a resubmission skips them all, and after one task is cancelled mid-run (scancel: SIGTERM) a
# resubmission runs only that trial again. Skipped, with the reason, where Slurm is not there.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $slurmProblem = if (-not $env:SLURM_CONF) { 'SLURM_CONF is not set: start a one-node cluster with .ci/slurm.sh start DIR (as .ci/run does) and export SLURM_CONF=DIR/slurm.conf' }
        elseif (-not (Get-Command sbatch -ErrorAction Ignore)) { 'sbatch is not on the PATH (Debian: apt-get install slurm-wlm munge)' }
        elseif (-not ((& sinfo -h -o '%t' 2>$null) -match '^(idle|mix|alloc)')) { "the Slurm cluster of $env:SLURM_CONF does not answer (sinfo shows no usable node)" }
        else { $null }

    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-pester-slurm-$PID"
    $null = New-Item -ItemType Directory -Force $work
    $batchScript = Join-Path $RepoRoot 'examples/slurm/sweep.sbatch'
    # The PowerShell running these tests runs the array tasks too (the batch script's PWSH).
    $pwshCommand = (@([Environment]::ProcessPath) + @(if ((Split-Path -Leaf ([Environment]::ProcessPath)) -notlike 'pwsh*') { [Environment]::GetCommandLineArgs()[0] })) -join ' '

    function New-SlurmSweep([string] $Name) {
        # Synthetic MNIST-shaped IDX files: bars whose row encodes the label.
        $data = Join-Path $work 'data'
        if (-not (Test-Path $data)) {
            $null = New-Item -ItemType Directory -Force $data
            foreach ($split in @(@{ Name = 'train'; Count = 4000 }, @{ Name = 't10k'; Count = 500 })) {
                $pixels = [byte[]]::new($split.Count * 784)
                $labels = [byte[]]::new($split.Count)
                for ($i = 0; $i -lt $split.Count; $i++) {
                    $labels[$i] = $i % 10
                    $start = ($i * 784) + ((2 + [int][math]::Floor(($i % 10) * 24 / 10)) * 28)
                    [Array]::Fill($pixels, [byte]255, $start + 2, 24)
                }
                [IO.File]::WriteAllBytes((Join-Path $data "$($split.Name)-images-idx3-ubyte"), (New-IdxBytes 0x00000803 @($split.Count, 28, 28) $pixels))
                [IO.File]::WriteAllBytes((Join-Path $data "$($split.Name)-labels-idx1-ubyte"), (New-IdxBytes 0x00000801 @($split.Count) $labels))
            }
        }
        $spec = Join-Path $work "$Name.yaml"
        Set-Content -LiteralPath $spec -Value @"
name: $Name
data: { path: "$data" }
model: { preset: keras-seed }
training: { epochs: 1, batchSize: 64, seed: 1 }
outputs: { pictures: false }
sweep:
  parameters:
    training.learningRate: [0.003, 0.002, 0.001, 0.0005]
"@
        $spec
    }

    function Submit-Sweep([string] $Spec) {
        $env:PWSH = $pwshCommand
        $env:MNISTCNN_MODULE = Join-Path $ModulePath 'MnistCnn.psd1'
        Push-Location $RepoRoot
        try {
            $id = & sbatch --parsable --array=0-3 --cpus-per-task=1 --mem=1G "--output=$work/slurm-%A_%a.out" $batchScript $Spec 2>&1
            if ($LASTEXITCODE -ne 0) { throw "sbatch failed: $id" }
            ($id | Select-Object -Last 1).ToString().Split(';')[0].Trim()
        }
        finally { Pop-Location }
    }

    function Wait-Job([string] $JobId, [int] $Seconds = 540) {
        $until = (Get-Date).AddSeconds($Seconds)
        while ((& squeue -h -j $JobId 2>$null) -and (Get-Date) -lt $until) { Start-Sleep -Milliseconds 500 }
        if (& squeue -h -j $JobId 2>$null) { & scancel $JobId; throw "Slurm job $JobId did not finish within $Seconds s" }
    }

    function Get-Trials([string] $Spec) {
        $plan = [MnistCnn.Core.Experiments.Sweeps.ExperimentPlan]::Load($Spec)
        foreach ($t in $plan.Trials) {
            $record = Join-Path $t.OutputPath 'experiment.json'
            $json = if (Test-Path $record) { Get-Content -Raw $record | ConvertFrom-Json } else { $null }
            [pscustomobject]@{ Index = $t.Index; Folder = $t.OutputPath; Status = $(if ($json) { $json.status }); RunId = $(if ($json) { $json.runId }); Replaced = @(Get-Item "$($t.OutputPath).replaced-*" -ErrorAction Ignore).Count }
        }
    }

    function Get-TaskLog([string] $JobId, [int] $Index) { Get-Content -Raw (Join-Path $work "slurm-$($JobId)_$Index.out") }
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'A sweep as a Slurm array job (examples/slurm/sweep.sbatch)' {
    It 'runs each trial exactly once, and a resubmission skips them all' {
        if ($slurmProblem) { Set-ItResult -Skipped -Because $slurmProblem; return }
        $spec = New-SlurmSweep 'slurm-once'
        $job = Submit-Sweep $spec
        Wait-Job $job
        $trials = @(Get-Trials $spec)
        $trials.Status | Should -Be @('FINISHED', 'FINISHED', 'FINISHED', 'FINISHED') -Because ((0..3 | ForEach-Object { Get-TaskLog $job $_ }) -join "`n")
        ($trials.RunId | Sort-Object -Unique).Count | Should -Be 4
        $trials.Replaced | Should -Be @(0, 0, 0, 0)
        foreach ($t in $trials) {
            # One run in each folder's journal: trained once.
            @(Get-Content (Join-Path $t.Folder 'journal.jsonl') | Where-Object { $_ -match '"type":"run"' }).Count | Should -Be 1
            Get-TaskLog $job $t.Index | Should -Match "trial $($t.Index) \S+: Finished"
        }
        # The task of the last trial to end finished the sweep.
        Join-Path (Split-Path -Parent $trials[0].Folder) 'sweep.html' | Should -Exist

        $again = Submit-Sweep $spec
        Wait-Job $again
        $after = @(Get-Trials $spec)
        $after.RunId | Should -Be $trials.RunId
        foreach ($t in $after) { Get-TaskLog $again $t.Index | Should -Match '\(already finished\)' }
    }

    It 'reruns only the cancelled trial when the sweep is resubmitted after scancel' {
        if ($slurmProblem) { Set-ItResult -Skipped -Because $slurmProblem; return }
        $spec = New-SlurmSweep 'slurm-cancel'
        $job = Submit-Sweep $spec
        # Cancel task 1 once its trial has started (experiment.json says RUNNING): scancel sends SIGTERM.
        $record = Join-Path (@(Get-Trials $spec)[1].Folder) 'experiment.json'
        $until = (Get-Date).AddSeconds(300)
        while (-not ((Test-Path $record) -and (Get-Content -Raw $record) -match '"status":\s*"RUNNING"') -and (Get-Date) -lt $until) { Start-Sleep -Milliseconds 100 }
        & scancel "$($job)_1"
        Wait-Job $job
        $first = @(Get-Trials $spec)
        $first[1].Status | Should -Not -Be 'FINISHED' -Because 'task 1 was cancelled while its trial ran'
        @($first | Where-Object Index -ne 1).Status | Should -Be @('FINISHED', 'FINISHED', 'FINISHED')

        $again = Submit-Sweep $spec
        Wait-Job $again
        $after = @(Get-Trials $spec)
        $after.Status | Should -Be @('FINISHED', 'FINISHED', 'FINISHED', 'FINISHED') -Because ((0..3 | ForEach-Object { Get-TaskLog $again $_ }) -join "`n")
        foreach ($i in 0, 2, 3) {
            $after[$i].RunId | Should -Be $first[$i].RunId
            Get-TaskLog $again $i | Should -Match '\(already finished\)'
        }
        Get-TaskLog $again 1 | Should -Not -Match '\(already finished\)'
        Get-TaskLog $again 1 | Should -Match 'trial 1 \S+: Finished'
        Join-Path (Split-Path -Parent $after[0].Folder) 'sweep.html' | Should -Exist
    }
}
