# Publish-CnnRun without a server: what it refuses before talking to one, -WhatIf, and a journal it cannot use.
# (Publishing to a live MLflow server is tested in Core against a fake server: tests/Core.Tests/Tracking.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) ("publish-cnnrun-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $run = New-Item -ItemType Directory -Force (Join-Path $work 'run-1')
    # A journal with no run event in it: a folder Publish-CnnRun finds, but cannot publish.
    Set-Content -Path (Join-Path $run 'journal.jsonl') -Value ''
    $saved = $env:MLFLOW_TRACKING_URI
    $env:MLFLOW_TRACKING_URI = $null
    # Nothing listens on port 9 here; every test below ends before a request would be sent.
    $Server = 'http://127.0.0.1:9'
}

AfterAll {
    $env:MLFLOW_TRACKING_URI = $saved
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}

Describe 'Publish-CnnRun' {
    It 'refuses to start without a tracking server, saying how to give one' {
        { Publish-CnnRun $run -ErrorAction Stop } | Should -Throw -ErrorId 'TrackingUriMissing,MnistCnn.Cmdlets.PublishCnnRunCommand'
        try { Publish-CnnRun $run -ErrorAction Stop } catch { $err = $_ }
        "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match '-TrackingUri http://host:port or set MLFLOW_TRACKING_URI'
    }

    It 'refuses a -TrackingUri that is not an absolute URI' {
        { Publish-CnnRun $run -TrackingUri 'not a uri' -ErrorAction Stop } | Should -Throw -ErrorId 'TrackingUriInvalid,MnistCnn.Cmdlets.PublishCnnRunCommand'
    }

    It 'reports a folder that does not exist with RunFolderNotFound and goes on' {
        $missing = Join-Path $work 'no-such-run'
        $out = @(Publish-CnnRun $missing, $run -TrackingUri $Server -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'RunFolderNotFound,MnistCnn.Cmdlets.PublishCnnRunCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $missing
    }

    It 'warns when a folder holds no run journal' {
        $empty = New-Item -ItemType Directory -Force (Join-Path $work 'empty')
        $null = Publish-CnnRun $empty -TrackingUri $Server -WarningVariable warn -WarningAction SilentlyContinue
        "$warn" | Should -Match 'No run journal \(journal\.jsonl\)'
    }

    It 'with -WhatIf publishes nothing: the journal it cannot use is never read' {
        $out = @(Publish-CnnRun $work -TrackingUri $Server -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err.Count | Should -Be 0
    }

    It 'reports a journal without a run event with JournalInvalid' {
        $out = @(Publish-CnnRun $run -TrackingUri $Server -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err[0].FullyQualifiedErrorId | Should -Be 'JournalInvalid,MnistCnn.Cmdlets.PublishCnnRunCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'InvalidData'
    }

    It 'refuses a run folder that is being written with RunFolderInUse, naming the writer, and goes on' {
        $busy = New-Item -ItemType Directory -Force (Join-Path $work 'busy')
        Set-Content -Path (Join-Path $busy 'journal.jsonl') -Value ''
        $held = [MnistCnn.Core.Runs.RunLock]::Acquire($busy.FullName, 'training')
        try {
            $out = @(Publish-CnnRun $busy, $run -TrackingUri $Server -ErrorVariable err -ErrorAction SilentlyContinue)
        }
        finally {
            $held.Dispose()
        }
        $out.Count | Should -Be 0
        $err.Count | Should -Be 2
        $err[0].FullyQualifiedErrorId | Should -Be 'RunFolderInUse,MnistCnn.Cmdlets.PublishCnnRunCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'ResourceUnavailable'
        $err[0].Exception.Message | Should -Match "process $PID on host .* \(training, since"
        $err[0].Exception.Message | Should -Match 'run Publish-CnnRun again'
        # The next folder is still tried (and refused for its own reason).
        $err[1].FullyQualifiedErrorId | Should -Be 'JournalInvalid,MnistCnn.Cmdlets.PublishCnnRunCommand'
    }
}
