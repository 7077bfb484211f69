# The commands' syntax, parameter sets and parameter metadata against the help contract
# (../shared/reference/<command>.help.md), their output type and argument completion.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force

    # A syntax line in the order Get-Command -Syntax uses: positional parameters in position
    # order, then named mandatory ones, then named optional ones (each group sorted), then
    # [<CommonParameters>]. Lower case: PowerShell 7 prints <string>, platyPS printed <String>.
    function ConvertTo-CanonicalSyntax([string] $Syntax) {
        $pattern = '\[\[-\w+\] <[^>]+>\]|\[-\w+\] <[^>]+>|\[-\w+ <[^>]+>\]|-\w+ <[^>]+>|\[-\w+\]|-\w+|\[<CommonParameters>\]'
        $tokens = @([regex]::Matches((ConvertTo-NtNormalText $Syntax), $pattern) | ForEach-Object { $_.Value.ToLowerInvariant() })
        $positional = @($tokens | Where-Object { $_.Contains('] <') })
        [string[]] $mandatory = @($tokens | Where-Object { $_.StartsWith('-') })
        [string[]] $optional = @($tokens | Where-Object { $_.StartsWith('[-') -and $_ -notin $positional })
        [array]::Sort($mandatory, [System.StringComparer]::Ordinal)
        [array]::Sort($optional, [System.StringComparer]::Ordinal)
        (@($positional) + $mandatory + $optional + @($tokens | Where-Object { $_ -eq '[<commonparameters>]' })) -join ' '
    }

    $runspace = New-NtRunspace
}

AfterAll {
    $runspace.Dispose()
}

Describe 'Command syntax' -ForEach @(
    @{ Command = 'New-VcToken' }
    @{ Command = 'New-ArmorApiToken' }
) {
    BeforeAll {
        $help = Get-NtHelpFile $Command
    }

    It 'prints one Get-Command -Syntax line per parameter set of the help' {
        $result = Invoke-NtScript $runspace 'Get-Command $c -Syntax | Out-String' @{ c = $Command }
        $lines = @(([string]$result.Output[0]).Split("`n") | ForEach-Object Trim | Where-Object { $_ })
        $help.Syntax.Count | Should -BeGreaterThan 0
        $lines.Count | Should -Be $help.Syntax.Count
        foreach ($line in $lines) { $line | Should -BeLike "$Command *" }
        $expected = ConvertTo-NtOrdinalOrder @($help.Syntax | ForEach-Object { ConvertTo-CanonicalSyntax (ConvertTo-NtHelpSyntax $_.Syntax) })
        $actual = ConvertTo-NtOrdinalOrder @($lines | ForEach-Object { ConvertTo-CanonicalSyntax $_ })
        $actual | Should -Be $expected
    }

    It 'has the parameter sets of the help, by name, with the same default set' {
        $result = Invoke-NtScript $runspace @'
            $c = Get-Command $Name
            [pscustomobject]@{
                Default = $c.DefaultParameterSet
                Sets    = @($c.ParameterSets | ForEach-Object { [pscustomobject]@{ Name = $_.Name; IsDefault = $_.IsDefault; Syntax = $_.ToString() } })
            }
'@ @{ Name = $Command }
        $result.Succeeded | Should -BeTrue
        $sets = @($result.Output[0].Sets)
        $sets.Count | Should -Be $help.Syntax.Count
        foreach ($block in $help.Syntax) {
            if ($block.SetName) {
                $set = @($sets | Where-Object Name -EQ $block.SetName)
                $set.Count | Should -Be 1 -Because "the help names the parameter set $($block.SetName)"
                $set[0].IsDefault | Should -Be $block.IsDefault -Because "$($block.SetName) is the default set only if the help says so"
                if ($block.IsDefault) { $result.Output[0].Default | Should -BeExactly $block.SetName }
            }
            else {
                # The help of a command with one parameter set names no set.
                $set = $sets
            }
            ConvertTo-CanonicalSyntax "$Command $($set[0].Syntax)" | Should -BeExactly (ConvertTo-CanonicalSyntax (ConvertTo-NtHelpSyntax $block.Syntax))
        }
    }

    It 'declares every parameter as the help describes it: set, type, mandatory, position, pipeline input' {
        foreach ($parameter in $help.Parameters) {
            $result = Invoke-NtScript $runspace @'
                $p = (Get-Command $c).Parameters[$n]
                foreach ($a in $p.Attributes) {
                    if ($a -is [System.Management.Automation.ParameterAttribute]) {
                        [pscustomobject]@{
                            Set       = $a.ParameterSetName
                            Mandatory = $a.Mandatory
                            Position  = $a.Position
                            Type      = $p.ParameterType.Name
                            Pipeline  = $a.ValueFromPipeline -or $a.ValueFromPipelineByPropertyName
                        }
                    }
                }
'@ @{ c = $Command; n = $parameter.Name }
            $sets = @($result.Output)
            $sets.Count | Should -Be $parameter.Blocks.Count -Because "$Command -$($parameter.Name) belongs to as many sets as the help lists"
            foreach ($block in $parameter.Blocks) {
                $setName = if ($block['Parameter Sets'] -eq '(All)') { '__AllParameterSets' } else { $block['Parameter Sets'] }
                $set = @($sets | Where-Object Set -EQ $setName)
                $set.Count | Should -Be 1 -Because "-$($parameter.Name) is in the set $setName"
                $set[0].Type | Should -BeExactly $block['Type']
                $set[0].Mandatory | Should -Be ($block['Required'] -eq 'True')
                $set[0].Pipeline | Should -Be ($block['Accept pipeline input'] -eq 'True')
                # platyPS counts positions from 1, the attribute from 0.
                $position = if ($set[0].Position -eq [int]::MinValue) { 'Named' } else { [string]($set[0].Position + 1) }
                $position | Should -BeExactly $block['Position']
            }
        }
    }

    It 'declares PSCustomObject ([PSObject]) as its output type' {
        $result = Invoke-NtScript $runspace '(Get-Command $c).OutputType | ForEach-Object { $_.Type.FullName }' @{ c = $Command }
        @($result.Output) | Should -Be @('System.Management.Automation.PSObject')
    }
}

Describe 'Argument completion of New-ArmorApiToken' {
    It 'completes -<Parameter> <Typed> to <Expected>' -ForEach @(
        @{ Parameter = 'GrantType'; Typed = ''; Expected = 'authorization_code' }
        @{ Parameter = 'GrantType'; Typed = 'Auth'; Expected = 'authorization_code' }
        @{ Parameter = 'ApiVersion'; Typed = ''; Expected = 'v1.0' }
        @{ Parameter = 'ApiVersion'; Typed = 'v1'; Expected = 'v1.0' }
    ) {
        $line = "New-ArmorApiToken -Code x -$Parameter $Typed"
        $result = Invoke-NtScript $runspace '(TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText' @{ Line = $line }
        $result.Succeeded | Should -BeTrue
        @($result.Output) | Should -Be @($Expected)
    }

    It 'makes -Code mandatory' {
        $result = Invoke-NtScript $runspace '(Get-Command New-ArmorApiToken).Parameters["Code"].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } | ForEach-Object Mandatory'
        @($result.Output) | Should -Be @($true)
    }
}
