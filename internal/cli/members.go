package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
)

func parseID(s, what string) (coterie.ID, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("%s %q is not a member or merge id", what, s)}
	}
	return id, nil
}

// idArgs accepts exactly n arguments, each a positive integer id.
func idArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))}
		}
		for _, a := range args {
			if _, err := parseID(a, what); err != nil {
				return err
			}
		}
		return nil
	}
}

func (a *app) membersCmd() *cobra.Command {
	var workspace string
	var asJSON bool
	c := &cobra.Command{Use: "members", Short: "Resolve members across platforms: suggestions, merge, unmerge, no-merge, erase"}
	c.PersistentFlags().StringVar(&workspace, "workspace", "default", "workspace name")
	c.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")

	withWS := func(run func(ctx context.Context, st *community.Store, ws coterie.ID, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			st, done, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			w, err := st.FindWorkspaceByName(cmd.Context(), workspace)
			if err != nil {
				return err
			}
			return run(cmd.Context(), st, w.ID, args)
		}
	}
	var limit int
	suggestions := &cobra.Command{
		Use: "suggestions", Short: "List pairs of members that may be one person, with a score and the reasons",
		Args: cobra.NoArgs,
		RunE: withWS(func(ctx context.Context, st *community.Store, ws coterie.ID, _ []string) error {
			sg, err := st.Suggestions(ctx, ws, limit)
			if err != nil {
				return err
			}
			if sg == nil {
				sg = []community.Suggestion{}
			}
			if asJSON {
				return a.printJSON(sg)
			}
			for _, s := range sg {
				fmt.Fprintf(a.stdout, "%.2f  %d %q  ~  %d %q  (%v)\n", s.Score, s.MemberA, s.NameA, s.MemberB, s.NameB, s.Reasons)
			}
			return nil
		}),
	}
	suggestions.Flags().IntVar(&limit, "limit", 100, "at most this many suggestions (0: all)")
	merge := &cobra.Command{
		Use: "merge PRIMARY SECONDARY", Short: "Merge member SECONDARY into member PRIMARY (reversible)",
		Args: idArgs(2, "member"),
		RunE: withWS(func(ctx context.Context, st *community.Store, ws coterie.ID, args []string) error {
			p, err := parseID(args[0], "member")
			if err != nil {
				return err
			}
			s, err := parseID(args[1], "member")
			if err != nil {
				return err
			}
			id, err := st.Merge(ctx, ws, p, s)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(map[string]any{"merge_id": id, "primary": p, "secondary": s})
			}
			fmt.Fprintf(a.stdout, "merged member %d into %d (merge %d; undo with: coterie members unmerge %d)\n", s, p, id, id)
			return nil
		}),
	}
	unmerge := &cobra.Command{
		Use: "unmerge MERGE_ID", Short: "Undo a merge exactly",
		Args: idArgs(1, "merge"),
		RunE: withWS(func(ctx context.Context, st *community.Store, ws coterie.ID, args []string) error {
			id, err := parseID(args[0], "merge")
			if err != nil {
				return err
			}
			if err := st.Unmerge(ctx, ws, id); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(map[string]any{"unmerged": id})
			}
			fmt.Fprintf(a.stdout, "merge %d undone\n", id)
			return nil
		}),
	}
	noMerge := &cobra.Command{
		Use: "no-merge A B", Short: "Record that two members are different people",
		Args: idArgs(2, "member"),
		RunE: withWS(func(ctx context.Context, st *community.Store, ws coterie.ID, args []string) error {
			x, err := parseID(args[0], "member")
			if err != nil {
				return err
			}
			y, err := parseID(args[1], "member")
			if err != nil {
				return err
			}
			if err := st.NoMerge(ctx, ws, x, y); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(map[string]any{"no_merge": []coterie.ID{x, y}})
			}
			fmt.Fprintf(a.stdout, "members %d and %d will not be merged or suggested\n", x, y)
			return nil
		}),
	}
	erase := &cobra.Command{
		Use: "erase MEMBER", Short: "Erase a person's content and identities; later imports will not bring them back",
		Args: idArgs(1, "member"),
		RunE: withWS(func(ctx context.Context, st *community.Store, ws coterie.ID, args []string) error {
			id, err := parseID(args[0], "member")
			if err != nil {
				return err
			}
			res, err := st.Erase(ctx, ws, id)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.stdout, "erased member %d: %d activities, %d identities\n", id, res.Activities, res.Identities)
			return nil
		}),
	}
	c.AddCommand(suggestions, merge, unmerge, noMerge, erase)
	return c
}

func (a *app) reportCmd() *cobra.Command {
	var workspace, communityName string
	var asJSON bool
	c := &cobra.Command{Use: "report", Short: "Reports on a community"}
	summary := &cobra.Command{
		Use: "summary", Short: "Channels, members and activities of a community",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if communityName == "" {
				return usageError{fmt.Errorf("--community is required")}
			}
			ctx := cmd.Context()
			st, done, err := a.store(ctx)
			if err != nil {
				return err
			}
			defer done()
			w, err := st.FindWorkspaceByName(ctx, workspace)
			if err != nil {
				return err
			}
			comm, err := st.FindCommunityByName(ctx, w.ID, communityName)
			if err != nil {
				return err
			}
			sum, err := st.Summarize(ctx, comm)
			if err != nil {
				return err
			}
			if asJSON {
				return jsonLine(a.stdout).Encode(sum)
			}
			fmt.Fprintf(a.stdout, "%s: %d channels, %d members (%d people, %d bots)\n", sum.Community, sum.Channels, sum.Members, sum.HumanMembers, sum.Bots)
			for k, n := range sum.Activities {
				fmt.Fprintf(a.stdout, "  %-14s %d\n", k, n)
			}
			if sum.FirstActivity != nil {
				fmt.Fprintf(a.stdout, "from %s to %s\n", sum.FirstActivity.Format("2006-01-02"), sum.LastActivity.Format("2006-01-02"))
			}
			return nil
		},
	}
	summary.Flags().StringVar(&workspace, "workspace", "default", "workspace name")
	summary.Flags().StringVar(&communityName, "community", "", "community name (required)")
	summary.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	c.AddCommand(summary)
	return c
}
