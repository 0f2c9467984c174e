# Invoke-CnnExperiment before any training: bad specs, bad trial indexes and -WhatIf. (Trials that train, sweeps,
# worker processes and resumes are in Experiments.Tests.ps1 and Integration/; they share one trained sweep.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $Experiments = Join-Path $PSScriptRoot '../../experiments'
    $work = Join-Path ([IO.Path]::GetTempPath()) ("invoke-cnnexperiment-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Force $work
    $savedIndex = $env:MNISTCNN_TRIAL_INDEX
    $env:MNISTCNN_TRIAL_INDEX = $null
    # Copies of two committed specs (the sweep extends keras-seed.yaml), so their run folders would land in $work.
    Copy-Item (Join-Path $Experiments 'keras-seed.yaml'), (Join-Path $Experiments 'optimizer-sweep.yaml') $work
    $sweep = Join-Path $work 'optimizer-sweep.yaml'
    $bad = Join-Path $work 'bad.yaml'
    Set-Content $bad "name: bad`nmodel:`n  preset: keras-seed`ntraining:`n  epohcs: 3`n"
}

AfterAll {
    $env:MNISTCNN_TRIAL_INDEX = $savedIndex
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}

Describe 'Invoke-CnnExperiment' {
    It 'reports an invalid spec with ExperimentSpecInvalid, naming the file and line, and trains nothing' {
        $out = @(Invoke-CnnExperiment $bad -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ExperimentSpecInvalid,MnistCnn.Cmdlets.InvokeCnnExperimentCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'InvalidData'
        $err[0].Exception.Message | Should -Match ([regex]::Escape("$bad(5,3): error MNC1002"))
        Test-Path (Join-Path $work 'runs') | Should -BeFalse
    }

    It 'refuses a -TrialIndex outside the sweep with TrialIndexOutOfRange, saying how many trials there are' {
        $out = @(Invoke-CnnExperiment $sweep -TrialIndex 12 -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err[0].FullyQualifiedErrorId | Should -Be 'TrialIndexOutOfRange,MnistCnn.Cmdlets.InvokeCnnExperimentCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match 'has 12 trials \(indexes 0 to 11\)'
    }

    It 'refuses -UseSchedulerIndex when no scheduler index is set, with SchedulerIndexMissing' {
        $out = @(Invoke-CnnExperiment $sweep -UseSchedulerIndex -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err[0].FullyQualifiedErrorId | Should -Be 'SchedulerIndexMissing,MnistCnn.Cmdlets.InvokeCnnExperimentCommand'
        $err[0].Exception.Message | Should -Match 'MNISTCNN_TRIAL_INDEX'
    }

    It 'with -WhatIf trains nothing and writes no run folder' {
        $out = @(Invoke-CnnExperiment $sweep -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err.Count | Should -Be 0
        Test-Path (Join-Path $work 'runs') | Should -BeFalse
    }

    It 'goes on to the next spec after a bad one' {
        # The second spec is read too: its own error (no trial 99) shows that it was.
        $out = @(Invoke-CnnExperiment $bad, $sweep -TrialIndex 99 -ErrorVariable err -ErrorAction SilentlyContinue)
        @($err.FullyQualifiedErrorId) | Should -Be @('ExperimentSpecInvalid,MnistCnn.Cmdlets.InvokeCnnExperimentCommand', 'TrialIndexOutOfRange,MnistCnn.Cmdlets.InvokeCnnExperimentCommand')
        $out.Count | Should -Be 0
    }
}
