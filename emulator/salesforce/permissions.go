package salesforce

import "fmt"

// The profiles every emulated org has, as a fresh Salesforce org does. Each
// owns a permission set with its object permissions; a user's profile is a
// PermissionSetAssignment to that permission set, kept by the emulator as
// Salesforce keeps it.
const (
	ProfileSystemAdministrator = "System Administrator"
	ProfileStandardUser        = "Standard User"
	ProfileReadOnly            = "Read Only"
)

// profileAccess is what each standard profile may do with the objects that
// the emulator has: read, create, edit, delete.
var profileAccess = map[string][4]bool{
	ProfileSystemAdministrator: {true, true, true, true},
	ProfileStandardUser:        {true, true, true, false},
	ProfileReadOnly:            {true, false, false, false},
}

// permissionObjects are the objects profiles carry ObjectPermissions for.
var permissionObjects = []string{"Account", "Contact", "Lead", "Opportunity", "Case", "Task"}

// seedProfiles creates the standard profiles, their permission sets and
// object permissions, and makes Standard User the default profile of new
// users. It returns the profile ids by name. Callers hold mu.
func (s *Server) seedProfiles(tx *txn) map[string]string {
	ids := map[string]string{}
	must := func(id string, err error) string {
		if err != nil {
			panic(fmt.Sprintf("salesforce: seeding profiles: %v", err)) // a bug in the schema, not input
		}
		return id
	}
	for _, name := range []string{ProfileSystemAdministrator, ProfileStandardUser, ProfileReadOnly} {
		profile := must(tx.create(s.tables["profile"], map[string]any{"Name": name}, modeLoad))
		ids[name] = profile
		ps := must(tx.create(s.tables["permissionset"], map[string]any{
			"Name": fmt.Sprintf("X00e%s", profile[3:15]), "Label": name, "IsOwnedByProfile": true, "ProfileId": profile,
		}, modeLoad))
		access := profileAccess[name]
		for _, obj := range permissionObjects {
			must(tx.create(s.tables["objectpermissions"], map[string]any{
				"ParentId": ps, "SobjectType": obj, "PermissionsRead": access[0], "PermissionsCreate": access[1],
				"PermissionsEdit": access[2], "PermissionsDelete": access[3],
				"PermissionsViewAllRecords": name == ProfileSystemAdministrator, "PermissionsModifyAllRecords": name == ProfileSystemAdministrator,
			}, modeLoad))
		}
		if name == ProfileStandardUser {
			s.schema.object("User").field("ProfileId").DefaultValue = profile
		}
	}
	return ids
}

// ProfileID returns the id of a profile by name, or "".
func (s *Server) ProfileID(name string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.tables["profile"].order {
		if r.f["Name"] == name {
			return r.id
		}
	}
	return ""
}

// profilePermissionSet returns the permission set a profile owns, or nil.
func (s *Server) profilePermissionSet(profileID string) *record {
	for _, r := range s.tables["permissionset"].order {
		if !r.deleted && r.f["ProfileId"] == profileID {
			return r
		}
	}
	return nil
}

// syncProfileAssignment keeps a user's PermissionSetAssignment to its
// profile's permission set, as Salesforce does when a user is created or
// changes profile.
func (tx *txn) syncProfileAssignment(userID string, oldProfile, newProfile any) error {
	if oldProfile == newProfile {
		return nil
	}
	s := tx.s
	psa := s.tables["permissionsetassignment"]
	if old, _ := oldProfile.(string); old != "" {
		if ps := s.profilePermissionSet(old); ps != nil {
			for _, r := range psa.order {
				if !r.deleted && r.f["AssigneeId"] == userID && r.f["PermissionSetId"] == ps.id {
					tx.remove(psa, r)
				}
			}
		}
	}
	if p, _ := newProfile.(string); p != "" {
		ps := s.profilePermissionSet(p)
		if ps == nil {
			return errBadRequest("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "ProfileId")
		}
		if _, err := tx.create(psa, map[string]any{"AssigneeId": userID, "PermissionSetId": ps.id}, modeUI); err != nil {
			return err
		}
	}
	return nil
}
