# Import-CnnModel: a model from a Save-CnnModel folder, a run folder or its model.json, by path or piped; a path with
# no model is a non-terminating ModelNotFound. (Broken model folders: HostileInput.Tests.ps1.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-import-$PID"
    $null = New-Item -ItemType Directory -Force $work
    $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
    $runFolder = Join-Path $work 'run'
    $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 3 -Threads 1 -NoReport -OutputPath $runFolder
    $saved = Join-Path $work 'saved'
    $run | Save-CnnModel $saved
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'Import-CnnModel' {
    It 'loads the same model from a saved folder, a run folder and a model.json path' {
        $expected = @(Invoke-CnnPredict -Model $run.TrainedModel -Dataset $data).Label
        foreach ($path in $saved, $runFolder, (Join-Path $saved 'model.json')) {
            $model = Import-CnnModel $path
            $model | Should -BeOfType MnistCnn.Core.Models.TrainedModel
            $model.Spec.Name | Should -Be $run.Model.Name
            @(Invoke-CnnPredict -Model $model -Dataset $data).Label | Should -Be $expected
        }
    }

    It 'takes folders from the pipeline (Get-Item, by FullName)' {
        $models = @(Get-Item $saved, $runFolder | Import-CnnModel)
        $models.Count | Should -Be 2
        $models | ForEach-Object { $_ | Should -BeOfType MnistCnn.Core.Models.TrainedModel }
    }

    It 'writes ModelNotFound for a path without a model and goes on with the next path' {
        $empty = Join-Path $work 'empty'
        $null = New-Item -ItemType Directory -Force $empty
        $models = @(Import-CnnModel $empty, $saved -ErrorVariable errors -ErrorAction SilentlyContinue)
        $models.Count | Should -Be 1
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ModelNotFound,MnistCnn.Cmdlets.ImportCnnModelCommand'
        "$($errors[0].CategoryInfo.Category)" | Should -Be 'ObjectNotFound'
        $errors[0].Exception.Message | Should -BeLike "*$empty*model.json*"
    }
}
