# Invoke-CnnExperiment, scripts/Invoke-CnnSweep.ps1 and Export-CnnReport on a small sweep of synthetic IDX files.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-pester-exp-$PID"
    $null = New-Item -ItemType Directory -Force $work

    # MNIST-shaped IDX files (bars whose row encodes the label) that a model learns in one short epoch.
    $data = Join-Path $work 'data'
    $null = New-Item -ItemType Directory -Force $data
    foreach ($split in @(@{ Name = 'train'; Count = 300 }, @{ Name = 't10k'; Count = 60 })) {
        $pixels = [byte[]]::new($split.Count * 784)
        $labels = [byte[]]::new($split.Count)
        for ($i = 0; $i -lt $split.Count; $i++) {
            $labels[$i] = $i % 10
            $row = 2 + [int][math]::Floor(($i % 10) * 24 / 10)
            for ($x = 2; $x -lt 26; $x++) { $pixels[($i * 784) + ($row * 28) + $x] = 255 }
        }
        [IO.File]::WriteAllBytes((Join-Path $data "$($split.Name)-images-idx3-ubyte"), (New-IdxBytes 0x00000803 @($split.Count, 28, 28) $pixels))
        [IO.File]::WriteAllBytes((Join-Path $data "$($split.Name)-labels-idx1-ubyte"), (New-IdxBytes 0x00000801 @($split.Count) $labels))
    }

    function New-Spec([string] $Name, [string] $DataPath = $data, [string] $Sweep = "sweep:`n  parameters:`n    training.learningRate: [0.003, 0.001]") {
        $path = Join-Path $work "$Name.yaml"
        Set-Content -LiteralPath $path -Value @"
name: $Name
data: { path: "$DataPath" }
model: { preset: fast-mnist }
training: { epochs: 1, batchSize: 32, seed: 1, threads: 1 }
outputs: { pictures: false }
$Sweep
"@
        $path
    }

    # The PowerShell running these tests, to start the sweep script in a fresh process.
    $pwsh = [Environment]::ProcessPath
    $pwshArgs = @(if ((Split-Path -Leaf $pwsh) -notlike 'pwsh*') { [Environment]::GetCommandLineArgs()[0] })
    $sweepScript = Join-Path $RepoRoot 'scripts/Invoke-CnnSweep.ps1'
    function Invoke-SweepScript([string[]] $Arguments, [hashtable] $Environment = @{}) {
        $saved = @{}
        foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
        try {
            $stdout = Join-Path $work 'stdout.txt'
            $stderr = Join-Path $work 'stderr.txt'
            $p = Start-Process -FilePath $pwsh -ArgumentList ($pwshArgs + @('-NoProfile', '-NonInteractive', '-File', $sweepScript) + $Arguments + @('-Module', (Join-Path $ModulePath 'MnistCnn.psd1'))) `
                -RedirectStandardOutput $stdout -RedirectStandardError $stderr -Wait -PassThru
            [pscustomobject]@{ ExitCode = $p.ExitCode; Out = @(Get-Content $stdout); Err = @(Get-Content $stderr) }
        }
        finally {
            foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
        }
    }
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'Invoke-CnnExperiment on a sweep' {
    BeforeAll {
        $spec = New-Spec 'two-lr'
        $results = @(Invoke-CnnExperiment -Path $spec -InformationAction Ignore)
        $experimentFolder = Split-Path -Parent $results[0].OutputPath
    }

    It 'trains every trial and writes sweep.html and the parent run''s journal into the experiment folder when the last one ends' {
        $results.Count | Should -Be 2
        $results.Status | Should -Be @('Finished', 'Finished')
        Join-Path $experimentFolder 'sweep.html' | Should -Exist
        Join-Path $experimentFolder 'summary.json' | Should -Exist
        $html = Get-Content -Raw (Join-Path $experimentFolder 'sweep.html')
        foreach ($r in $results) { $html | Should -Match ([regex]::Escape($r.TrialId)) }
    }

    It 'tracks the sweep as one parent run with both trials as its children' {
        $runs = @(Get-CnnRun -Path $experimentFolder)
        $parent = @($runs | Where-Object { $_.Tags['mnistcnn.kind'] -eq 'sweep' })
        $parent.Count | Should -Be 1
        $parent[0].RunId | Should -BeLike 'sweep-*'
        $parent[0].Status | Should -Be 'FINISHED'
        $parent[0].TestAccuracy | Should -Be (($results | Measure-Object TestAccuracy -Maximum).Maximum)
        $children = @($runs | Where-Object ParentRunId -eq $parent[0].RunId)
        $children.Count | Should -Be 2
    }

    It 'makes sweep reports from disk: Invoke-CnnExperiment results and Get-CnnRun runs, by property name' {
        $fromResults = @($results | Export-CnnReport -Sweep -Path (Join-Path $work 'from-results'))
        $fromRuns = @(Get-CnnRun -Path $experimentFolder | Export-CnnReport -Sweep -Path (Join-Path $work 'from-runs'))
        foreach ($files in @($fromResults, $fromRuns)) {
            $html = $files | Where-Object Name -eq 'sweep.html'
            $html | Should -Not -BeNullOrEmpty
            $text = Get-Content -Raw $html.FullName
            foreach ($r in $results) { $text | Should -Match ([regex]::Escape($r.TrialId)) }
        }
    }

    It 'makes a one-run report from a run folder on disk' {
        $files = @(Get-CnnRun -Path $results[0].OutputPath | Export-CnnReport -Path (Join-Path $work 'one'))
        $files.Name | Should -Contain 'report.html'
        $files.Name | Should -Contain 'curves.png'
    }

    It 'fails with RunResultNotFound for a piped object with neither a run folder nor a run id' {
        $err = $null
        [pscustomobject]@{ OutputPath = (Join-Path $work 'no-such-run') } | Export-CnnReport -Sweep -Path (Join-Path $work 'none') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'RunResultNotFound,MnistCnn.Cmdlets.ExportCnnReportCommand'
    }

    It 'skips every finished trial when run again' {
        $again = @(Invoke-CnnExperiment -Path $spec -InformationAction Ignore)
        $again.Skipped | Should -Be @($true, $true)
    }
}

Describe 'A trial that fails' {
    BeforeAll {
        $spec = New-Spec 'broken' -DataPath (Join-Path $work 'no-such-data')
    }

    It 'writes its result and a non-terminating TrialFailed error whose target is the result' {
        $err = $null
        $out = @(Invoke-CnnExperiment -Path $spec -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 2
        $out.Status | Should -Be @('Failed', 'Failed')
        $err.Count | Should -Be 2
        $err[0].FullyQualifiedErrorId | Should -Be 'TrialFailed,MnistCnn.Cmdlets.InvokeCnnExperimentCommand'
        $err[0].TargetObject | Should -Be $out[0]
        $err[0].Exception.Message | Should -Match 'no-such-data'
    }

    It 'stops at the first failed trial under -ErrorAction Stop' {
        { Invoke-CnnExperiment -Path $spec -Force -ErrorAction Stop } | Should -Throw -ErrorId 'TrialFailed,MnistCnn.Cmdlets.InvokeCnnExperimentCommand'
    }
}

Describe 'scripts/Invoke-CnnSweep.ps1' {
    BeforeAll {
        $spec = New-Spec 'indexes'
    }

    It 'exits 2 with one line naming the index and <Name> when the index is outside the sweep' -ForEach @(
        @{ Name = 'MNISTCNN_TRIAL_INDEX'; Arguments = @(); Environment = @{ MNISTCNN_TRIAL_INDEX = '5' }; Source = 'MNISTCNN_TRIAL_INDEX=5' }
        @{ Name = 'SLURM_ARRAY_TASK_ID'; Arguments = @(); Environment = @{ SLURM_ARRAY_TASK_ID = '7'; SLURM_ARRAY_TASK_MIN = '1' }; Source = 'SLURM_ARRAY_TASK_ID=7 - SLURM_ARRAY_TASK_MIN=1' }
        @{ Name = '-TrialIndex'; Arguments = @('-TrialIndex', '5'); Environment = @{}; Source = '-TrialIndex' }
    ) {
        $r = Invoke-SweepScript (@($spec) + $Arguments) $Environment
        $r.ExitCode | Should -Be 2 -Because ($r.Out + $r.Err -join "`n")
        $r.Err.Count | Should -Be 1
        $r.Err[0] | Should -Match ([regex]::Escape("(from $Source)"))
        $r.Err[0] | Should -Match 'which has 2 trials \(indexes 0 to 1\)'
        Join-Path $work 'runs/indexes' | Should -Not -Exist
    }

    It 'exits 1 when a trial fails, and 2 for an invalid spec' {
        $broken = New-Spec 'broken-script' -DataPath (Join-Path $work 'no-such-data')
        (Invoke-SweepScript @($broken, '-TrialIndex', '0')).ExitCode | Should -Be 1
        $invalid = Join-Path $work 'invalid.yaml'
        Set-Content -LiteralPath $invalid -Value "training: { epochs: 0 }"
        $r = Invoke-SweepScript @($invalid)
        $r.ExitCode | Should -Be 2
        $r.Out -join "`n" | Should -Match 'error MNC1007'
    }
}

Describe 'Invoke-CnnExperiment -ThrottleLimit (worker processes)' {
    It 'runs each trial in a pwsh worker that gets its resolved trial file, not the spec, and the parent writes the summary' {
        $spec = New-Spec 'workers'
        $verbose = $null
        $results = @(Invoke-CnnExperiment -Path $spec -ThrottleLimit 2 -InformationAction Ignore -Verbose 4>&1 |
            Tee-Object -Variable verbose | Where-Object { $_ -is [MnistCnn.Core.Experiments.Running.ExperimentTrialResult] })
        $results.Count | Should -Be 2
        $results.Status | Should -Be @('Finished', 'Finished')
        $started = @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'starts in a worker process' })
        $started.Count | Should -Be 2
        foreach ($line in $started) {
            $line.Message | Should -Match "Invoke-CnnExperiment -Path '[^']+trial-[01]\.trial\.json' -Threads 1"
            $line.Message | Should -Not -Match ([regex]::Escape($spec))
            # The trial files are temporary: gone once the workers ended.
            [regex]::Match($line.Message, "-Path '([^']+)'").Groups[1].Value | Should -Not -Exist
        }
        $folder = Split-Path $results[0].OutputPath
        Join-Path $folder 'summary.json' | Should -Exist
        (Get-Content (Join-Path $results[1].OutputPath 'experiment.json') -Raw | ConvertFrom-Json).spec.path | Should -Be $spec

        $again = @(Invoke-CnnExperiment -Path $spec -ThrottleLimit 2 -InformationAction Ignore)
        $again.Skipped | Should -Be @($true, $true)
    }

    It 'shows the workers'' epoch lines as information records tagged with their trial, and their warnings as warnings' {
        $spec = New-Spec 'worker-lines'
        $info = $null
        $null = Invoke-CnnExperiment -Path $spec -ThrottleLimit 2 -InformationVariable info -InformationAction SilentlyContinue
        $lines = @($info | Where-Object { $_.Tags -contains 'MnistCnn.Information' } | ForEach-Object { "$($_.MessageData)" })
        $lines.Count | Should -Be 2 -Because ($lines -join "`n")
        foreach ($i in 0, 1) { @($lines -match "^\[worker-lines $i/2 \S+\] Epoch 1/1 ").Count | Should -Be 1 -Because ($lines -join "`n") }

        # A forced rerun moves each finished trial's folder aside, and says so from inside the worker.
        $warnings = $null
        $null = Invoke-CnnExperiment -Path $spec -ThrottleLimit 2 -Force -InformationAction Ignore -WarningVariable warnings -WarningAction SilentlyContinue
        $moved = @($warnings | ForEach-Object { "$_" } | Where-Object { $_ -match '^\[trial [01]\] .*replaced-' })
        $moved.Count | Should -Be 2 -Because (@($warnings) -join "`n")
    }
}
