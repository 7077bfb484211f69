# Get-Help shows the help contract (../shared/reference/<command>.help.md): syntax, synopsis,
# description, parameters with their defaults, examples, inputs, outputs and links.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force

    $runspace = New-NtRunspace

    # The links of the shared reference that are dead, and what the module's help links to instead:
    # ArmorPowerShell renamed New-ArmorApiToken to Request-ArmorApiToken in 1.0.300, so its master
    # branch and its documentation site (built from master) no longer have the old pages.
    $ReplacedLinks = @{
        'https://tlindsay42.github.io/ArmorPowerShell/private/New-ArmorApiToken/'                       = 'https://tlindsay42.github.io/ArmorPowerShell/private/Request-ArmorApiToken/'
        'https://github.com/tlindsay42/ArmorPowerShell/blob/master/Armor/Private/New-ArmorApiToken.ps1' = 'https://github.com/tlindsay42/ArmorPowerShell/blob/v1.0.295/Armor/Private/New-ArmorApiToken.ps1'
    }
}

AfterAll {
    $runspace.Dispose()
}

Describe 'Get-Help <Command>' -ForEach @(
    @{ Command = 'New-VcToken' }
    @{ Command = 'New-ArmorApiToken' }
    @{ Command = 'Update-ArmorApiToken' }
) {
    BeforeAll {
        $file = Get-NtHelpFile $Command
        $result = Invoke-NtScript $runspace @'
            $h = Get-Help $c -Full
            [pscustomobject]@{
                Synopsis    = [string]$h.Synopsis
                Description = ($h.description | ForEach-Object Text) -join ' '
                Parameters  = @($h.parameters.parameter | ForEach-Object {
                        [pscustomobject]@{
                            Name        = $_.name
                            Description = ($_.description | ForEach-Object Text) -join ' '
                        } })
                Examples    = @($h.examples.example | ForEach-Object { [pscustomobject]@{ Title = $_.title; Code = $_.code; Remarks = ($_.remarks | ForEach-Object Text) -join ' ' } })
                Inputs      = (@($h.inputTypes.inputType | ForEach-Object { $_.type.name }) -join ' ')
                Outputs     = (@($h.returnValues.returnValue | ForEach-Object { $_.type.name }) -join ' ')
                Links       = @($h.relatedLinks.navigationLink | ForEach-Object { [string]$_.uri + [string]$_.linkText } | Where-Object { $_ })
                # Get-Help keeps the declaration order of parameters, as platyPS printed it.
                Syntax      = @(foreach ($item in $h.syntax.syntaxItem) {
                        $parts = foreach ($p in $item.parameter) {
                            if ($p.name -eq 'ProgressAction') { continue }
                            $type = [string]$p.parameterValue
                            $named = $p.position -eq 'named'
                            $required = $p.required -eq 'true'
                            if ($type -eq 'SwitchParameter') { '[-{0}]' -f $p.name }
                            elseif ($named -and $required) { '-{0} <{1}>' -f $p.name, $type }
                            elseif ($named) { '[-{0} <{1}>]' -f $p.name, $type }
                            elseif ($required) { '[-{0}] <{1}>' -f $p.name, $type }
                            else { '[[-{0}] <{1}>]' -f $p.name, $type }
                        }
                        (@($item.name) + @($parts) + '[<CommonParameters>]') -join ' '
                    })
            }
'@ @{ c = $Command }
        $result.Succeeded | Should -BeTrue
        $shown = $result.Output[0]
    }

    It 'shows the syntax blocks of the help, exactly' {
        $expected = ConvertTo-NtOrdinalOrder @($file.Syntax | ForEach-Object { ConvertTo-NtHelpSyntax $_.Syntax })
        $actual = ConvertTo-NtOrdinalOrder $shown.Syntax
        $actual | Should -Be $expected
    }

    It 'shows the synopsis and the description of the help' {
        ConvertTo-NtNormalText $shown.Synopsis | Should -BeExactly $file.Synopsis
        ConvertTo-NtNormalText $shown.Description | Should -BeExactly $file.Description
    }

    It 'describes every parameter of the help with its text' {
        foreach ($parameter in $file.Parameters) {
            $entry = @($shown.Parameters | Where-Object Name -EQ $parameter.Name)
            $entry.Count | Should -Be 1 -Because "Get-Help lists -$($parameter.Name)"
            ConvertTo-NtNormalText $entry[0].Description | Should -BeExactly $parameter.Description
        }
    }

    It 'shows with Get-Help -Parameter the default value, position and flags the help gives' {
        # Stands in for reading the defaults from the code: what Get-Help shows is what users read,
        # and the commands' behaviour with those defaults is tested in Armor.Tests.ps1.
        foreach ($parameter in $file.Parameters) {
            $result = Invoke-NtScript $runspace @'
                $p = Get-Help $c -Parameter $n
                [pscustomobject]@{ Default = [string]$p.defaultValue; Position = [string]$p.position; Required = [string]$p.required; Pipeline = [string]$p.pipelineInput }
'@ @{ c = $Command; n = $parameter.Name }
            $result.Succeeded | Should -BeTrue
            $entry = $result.Output[0]
            $block = $parameter.Blocks[0]
            # Comment-based help leaves an absent default empty, platyPS's MAML says None.
            $default = if ($entry.Default) { $entry.Default } else { 'None' }
            $default | Should -BeExactly $block['Default value'] -Because "the help gives -$($parameter.Name) the default $($block['Default value'])"
            $entry.Position | Should -Be $block['Position']
            # A parameter in several sets has one entry; its flags are those of its first block.
            if ($parameter.Blocks.Count -eq 1) {
                $entry.Required | Should -Be $block['Required']
                $entry.Pipeline | Should -Be $block['Accept pipeline input']
            }
        }
    }

    It 'shows every example of the help, code and remarks' {
        $shown.Examples.Count | Should -Be $file.Examples.Count
        for ($i = 0; $i -lt $file.Examples.Count; $i++) {
            ConvertTo-NtNormalText $shown.Examples[$i].Code | Should -BeExactly (ConvertTo-NtNormalText $file.Examples[$i].Code)
            ConvertTo-NtNormalText $shown.Examples[$i].Remarks | Should -BeExactly $file.Examples[$i].Remarks
        }
    }

    It 'shows the inputs and the outputs of the help' {
        $inputs = if ($Command -eq 'Update-ArmorApiToken') { 'System.String*' } else { 'None*' }
        ConvertTo-NtNormalText $shown.Inputs | Should -BeLike $inputs
        $outputs = ConvertTo-NtNormalText $shown.Outputs
        $file.Outputs.Count | Should -BeGreaterThan 0
        foreach ($line in $file.Outputs) { $outputs | Should -Match ([regex]::Escape((ConvertTo-NtNormalText $line))) }
    }

    It 'links to the pages the help links to (dead links of the reference replaced)' {
        $expected = foreach ($link in $file.Links) { if ($ReplacedLinks.ContainsKey($link)) { $ReplacedLinks[$link] } else { $link } }
        ($shown.Links -join "`n") | Should -BeExactly (@($expected) -join "`n")
    }
}

Describe 'The help source kept in the repository' {
    # The module's MAML is generated from powershell/help/*.md; the contract is the shared
    # reference. They must say the same, byte for byte up to line endings.
    It '<Command> equals the shared reference' -ForEach @(
        @{ Command = 'New-VcToken' }
        @{ Command = 'New-ArmorApiToken' }
    ) {
        $shared = Get-NtReferenceHelpPath $Command
        $repository = Get-NtRepositoryHelpPath $Command
        if ($shared -eq $repository) {
            Set-ItResult -Skipped -Because 'the shared reference is not beside the repository'
            return
        }
        $read = { param($path) [System.IO.File]::ReadAllText($path).Replace("`r`n", "`n") }
        $reference = & $read $shared
        foreach ($dead in $ReplacedLinks.Keys) { $reference = $reference.Replace($dead, $ReplacedLinks[$dead]) }
        (& $read $repository) | Should -BeExactly $reference
    }
}
